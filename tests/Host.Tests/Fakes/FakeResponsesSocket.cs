using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace AkkaProxy.Host.Tests.Fakes;

/// <summary>
/// The fake provider's Responses WebSocket endpoint (docs/protocol-notes.md §A): one JSON event per text
/// message, <c>stream_id</c> echoed on every event of a named lane. The model picks the behaviour:
/// a normal turn by default; <c>ws-abort</c> (abort after <c>response.created</c>), <c>ws-close</c>
/// (close 4000 after the turn; <c>ws-close-1000</c>, <c>ws-close-1001</c> with those codes), <c>ws-limit</c> (the 60-minute limit error), <c>ws-badusage</c>,
/// <c>ws-big</c> (a 2 MiB event), <c>ws-flood</c> (20,000 deltas of 1 KiB), <c>ws-hold</c> (lanes:
/// hold turns until two are open, then finish them in reverse order), <c>ws-gated</c> (<c>response.created</c>,
/// then the rest of the turn once <see cref="TurnGate"/> is released). A turn that asks for a tool
/// (see <see cref="FakeToolTurns"/>) gets its step of the tool-call round trip.
/// </summary>
public sealed class FakeResponsesSocket
{
    public const string LimitError = """{"type":"error","error":{"type":"invalid_request_error","code":"websocket_connection_limit_reached","message":"Responses websocket connection limit reached (60 minutes). Create a new websocket connection to continue."},"status":400}""";
    public const int FloodDeltas = 20_000;

    private int _open;
    private long _floodSent;
    private int _sending;

    /// <summary>Releases the rest of a <c>ws-gated</c> turn, one turn per release.</summary>
    public SemaphoreSlim TurnGate { get; } = new(0);

    /// <summary>Completes when a <c>ws-gated</c> turn has sent <c>response.created</c> and waits for <see cref="TurnGate"/>.</summary>
    public TaskCompletionSource GatedTurnWaiting { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Whether the fake accepts <c>permessage-deflate</c> when the relay offers it (off: the relay's offer is declined).</summary>
    public bool AcceptsCompression { get; set; } = true;

    /// <summary>Upgrade requests' headers, in order.</summary>
    public ConcurrentQueue<IReadOnlyDictionary<string, string>> Handshakes { get; } = new();

    /// <summary>Every text message received, in order.</summary>
    public ConcurrentQueue<string> Received { get; } = new();

    /// <summary>Every text message sent, in order.</summary>
    public ConcurrentQueue<string> Sent { get; } = new();

    /// <summary>Close frames received from the relay: status and reason.</summary>
    public ConcurrentQueue<(WebSocketCloseStatus? Status, string? Reason)> ClosesReceived { get; } = new();

    public int OpenSockets => Volatile.Read(ref _open);

    public long FloodSent => Interlocked.Read(ref _floodSent);

    /// <summary>Sends to the relay held back now: they did not complete at once and have not completed since.</summary>
    public int SendsHeldBack => Volatile.Read(ref _sending);

    /// <summary>Signalled whenever a send is held back or released, when a test sets it.</summary>
    public AkkaProxy.Host.Tests.TestKit.Pulse? SendStateChanged { get; set; }

    /// <summary>Usage of turn <paramref name="n"/> on a socket: input, cached, output, reasoning.</summary>
    public static (int Input, int Cached, int Output, int Reasoning) Usage(int n, bool generate = true) =>
        (100 + n * 10, 64, generate ? 20 + n : 0, generate ? 8 : 0);

    public async Task HandleAsync(HttpContext ctx)
    {
        if (!ctx.WebSockets.IsWebSocketRequest)
        {
            ctx.Response.StatusCode = 400;
            return;
        }

        Handshakes.Enqueue(ctx.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase));
        // What OpenAI's upgrade answers carry (Codex reads them), and two the relay must never pass on.
        ctx.Response.Headers["openai-model"] = ctx.Request.Query["model"].FirstOrDefault() ?? "gpt-fake";
        ctx.Response.Headers["x-codex-turn-state"] = ctx.Request.Headers["x-codex-turn-state"].FirstOrDefault() ?? "fresh-state";
        ctx.Response.Headers["x-reasoning-included"] = "true";
        ctx.Response.Headers["openai-organization"] = "org-of-the-operator";
        ctx.Response.Headers.SetCookie = "__cf_bm=upstream-session; path=/";
        using WebSocket ws = await ctx.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { DangerousEnableCompression = AcceptsCompression });
        Interlocked.Increment(ref _open);
        var held = new List<(int N, string? Lane, string? Previous)>();
        int turn = 0;
        try
        {
            byte[] buffer = new byte[4 * 1024 * 1024];
            while (true)
            {
                (WebSocketMessageType type, string text) = await ReceiveAsync(ws, buffer);
                if (type == WebSocketMessageType.Close)
                {
                    ClosesReceived.Enqueue((ws.CloseStatus, ws.CloseStatusDescription));
                    if (ws.State == WebSocketState.CloseReceived)
                    {
                        await ws.CloseOutputAsync(ws.CloseStatus ?? WebSocketCloseStatus.NormalClosure, ws.CloseStatusDescription, CancellationToken.None);
                    }

                    return;
                }

                Received.Enqueue(text);
                using JsonDocument doc = JsonDocument.Parse(text);
                JsonElement root = doc.RootElement;
                if (root.GetProperty("type").GetString() != "response.create")
                {
                    continue;
                }

                turn++;
                string model = root.TryGetProperty("model", out JsonElement m) ? m.GetString()! : "";
                string? lane = root.TryGetProperty("stream_id", out JsonElement s) ? s.GetString() : null;
                string? previous = root.TryGetProperty("previous_response_id", out JsonElement p) ? p.GetString() : null;
                bool generate = !root.TryGetProperty("generate", out JsonElement g) || g.ValueKind != JsonValueKind.False;
                switch (model)
                {
                    case "ws-abort":
                        await SendAsync(ws, Event("response.created", turn, lane, previous, "in_progress", "null", 0));
                        await Task.Delay(200);
                        ws.Abort();
                        return;
                    case "ws-limit":
                        await SendAsync(ws, LimitError);
                        continue;
                    case "ws-big":
                        await SendAsync(ws, "{\"type\":\"response.created\",\"pad\":\"" + new string('x', 2 * 1024 * 1024) + "\"}");
                        continue;
                    case "ws-gated":
                        await SendAsync(ws, Event("response.created", turn, lane, previous, "in_progress", "null", 0));
                        GatedTurnWaiting.TrySetResult();
                        await TurnGate.WaitAsync();
                        await SendAsync(ws, Delta(turn, lane, "after the gate", 1));
                        await SendAsync(ws, Event("response.completed", turn, lane, previous, "completed", UsageJson(turn, true), 2));
                        continue;
                    case "ws-hold":
                        await SendAsync(ws, Event("response.created", turn, lane, previous, "in_progress", "null", 0));
                        held.Add((turn, lane, previous));
                        if (held.Count == 2)
                        {
                            foreach ((int n, string? l, string? prev) in Enumerable.Reverse(held))
                            {
                                await SendAsync(ws, Delta(n, l, $"lane {l}", 1));
                                await SendAsync(ws, Event("response.completed", n, l, prev, "completed", UsageJson(n, true), 2));
                            }

                            held.Clear();
                        }

                        continue;
                }

                if (generate && FakeToolTurns.ForResponses(root) is FakeToolTurns.Step step)
                {
                    foreach (string e in FakeToolTurns.ResponsesEvents(step, ResponseId(turn), model))
                    {
                        await SendAsync(ws, e);
                    }

                    continue;
                }

                await SendTurnAsync(ws, turn, lane, previous, generate, model);
                if (CloseAfterTurn(model) is WebSocketCloseStatus code)
                {
                    await ws.CloseOutputAsync(code, "fake closing", CancellationToken.None);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // The relay went away.
        }
        finally
        {
            Interlocked.Decrement(ref _open);
        }
    }

    public static string ResponseId(int n) => $"resp_ws_{n}";

    /// <summary>The close code a <c>ws-close</c> model sends after its turn: 4000, or 1000 / 1001 for <c>ws-close-1000</c> / <c>ws-close-1001</c>.</summary>
    private static WebSocketCloseStatus? CloseAfterTurn(string model) => model switch
    {
        "ws-close" => (WebSocketCloseStatus)4000,
        "ws-close-1000" => WebSocketCloseStatus.NormalClosure,
        "ws-close-1001" => WebSocketCloseStatus.EndpointUnavailable,
        _ => null,
    };

    private async Task SendTurnAsync(WebSocket ws, int n, string? lane, string? previous, bool generate, string model)
    {
        int seq = 0;
        await SendAsync(ws, Event("response.created", n, lane, previous, "in_progress", "null", seq++));
        await SendAsync(ws, Event("response.in_progress", n, lane, previous, "in_progress", "null", seq++));
        int deltas = model == "ws-flood" ? FloodDeltas : generate ? 3 : 0;
        string pad = model == "ws-flood" ? new string('y', 1000) : "";
        for (int i = 0; i < deltas; i++)
        {
            await SendAsync(ws, Delta(n, lane, $"part {i}{pad}", seq++));
            if (model == "ws-flood")
            {
                Interlocked.Increment(ref _floodSent);
            }
        }

        string usage = model == "ws-badusage" ? """{"input_tokens":"many","output_tokens":3}""" : UsageJson(n, generate);
        await SendAsync(ws, Event("response.completed", n, lane, previous, "completed", usage, seq));
    }

    public static string UsageJson(int n, bool generate)
    {
        (int input, int cached, int output, int reasoning) = Usage(n, generate);
        return $$$"""{"input_tokens":{{{input}}},"input_tokens_details":{"cached_tokens":{{{cached}}}},"output_tokens":{{{output}}},"output_tokens_details":{"reasoning_tokens":{{{reasoning}}}},"total_tokens":{{{input + output}}}}""";
    }

    private static string LaneField(string? lane) => lane is null ? "" : $",\"stream_id\":\"{lane}\"";

    private static string Event(string type, int n, string? lane, string? previous, string status, string usage, int seq)
    {
        string prev = previous is null ? "null" : $"\"{previous}\"";
        return $$$"""{"type":"{{{type}}}","sequence_number":{{{seq}}}{{{LaneField(lane)}}},"response":{"id":"{{{ResponseId(n)}}}","object":"response","status":"{{{status}}}","model":"gpt-4o","previous_response_id":{{{prev}}},"output":[],"usage":{{{usage}}}}}""";
    }

    private static string Delta(int n, string? lane, string text, int seq) =>
        $$$"""{"type":"response.output_text.delta","sequence_number":{{{seq}}}{{{LaneField(lane)}}},"item_id":"msg_{{{n}}}","output_index":0,"content_index":0,"delta":"{{{text}}}","logprobs":[]}""";

    private async Task SendAsync(WebSocket ws, string text)
    {
        Sent.Enqueue(text);
        ValueTask send = ws.SendAsync(new ReadOnlyMemory<byte>(Encoding.UTF8.GetBytes(text)), WebSocketMessageType.Text, true, CancellationToken.None);
        if (send.IsCompleted)
        {
            await send;
            return;
        }

        Interlocked.Increment(ref _sending);
        SendStateChanged?.Signal();
        try
        {
            await send;
        }
        finally
        {
            Interlocked.Decrement(ref _sending);
            SendStateChanged?.Signal();
        }
    }

    private static async Task<(WebSocketMessageType, string)> ReceiveAsync(WebSocket ws, byte[] buffer)
    {
        int count = 0;
        while (true)
        {
            WebSocketReceiveResult result = await ws.ReceiveAsync(buffer.AsMemory(count).ToArraySegment(), CancellationToken.None);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return (WebSocketMessageType.Close, "");
            }

            count += result.Count;
            if (result.EndOfMessage)
            {
                return (result.MessageType, Encoding.UTF8.GetString(buffer, 0, count));
            }
        }
    }
}

internal static class MemoryExtensions
{
    public static ArraySegment<byte> ToArraySegment(this Memory<byte> memory) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(memory, out ArraySegment<byte> segment) ? segment : throw new InvalidOperationException();
}
