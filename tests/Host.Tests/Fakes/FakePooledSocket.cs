using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace AkkaProxy.Host.Tests.Fakes;

/// <summary>
/// The fake provider's Responses WebSocket endpoint as the relay's socket pools see it (at
/// <c>/pool/v1/responses</c>): numbered connections, response ids unique per connection
/// (<c>resp_{connection}_{turn}</c>), the connection-local cache of protocol-notes §A (with
/// <c>store:false</c>, a <c>previous_response_id</c> this connection did not produce last gets
/// <c>previous_response_not_found</c>), and a receive that runs during each turn, so a second
/// <c>response.create</c> arriving mid-turn is seen (<see cref="Overlaps"/>). The model picks the turn:
/// <c>pool</c> (default), <c>pool-sse</c> (the events of <see cref="FakeStreams.Responses"/>),
/// <c>pool-gated</c> (<c>response.created</c>, then the rest once <see cref="Gate"/> is released),
/// <c>pool-abort</c> (two events, then a 1011 close mid-turn).
/// </summary>
public sealed class FakePooledSocket
{
    private readonly ConcurrentDictionary<int, HttpContext> _live = new();
    private int _connections;
    private int _overlaps;

    /// <summary>When set, upgrades are answered 503 (a provider whose socket endpoint is down).</summary>
    public bool RefuseUpgrades { get; set; }

    /// <summary>Connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    public int OpenSockets => _live.Count;

    /// <summary><c>response.create</c> messages that arrived while a turn was running on their connection.</summary>
    public int Overlaps => Volatile.Read(ref _overlaps);

    /// <summary>Every turn: its connection, model, previous_response_id and response id (null when refused).</summary>
    public ConcurrentQueue<(int Connection, string Model, string? Previous, string? ResponseId)> Turns { get; } = new();

    /// <summary>The status of every close frame the relay sent (a close handshake, not an abort), in order.</summary>
    public ConcurrentQueue<WebSocketCloseStatus?> ClosesReceived { get; } = new();

    /// <summary>Every message received, in order.</summary>
    public ConcurrentQueue<string> Received { get; } = new();

    /// <summary>Releases the rest of one <c>pool-gated</c> turn.</summary>
    public SemaphoreSlim Gate { get; } = new(0);

    /// <summary>Released once per <c>pool-gated</c> turn that has sent <c>response.created</c> and waits.</summary>
    public SemaphoreSlim GateWaiting { get; } = new(0);

    /// <summary>Cuts every open connection (as a network failure would).</summary>
    public void BreakAll()
    {
        foreach (HttpContext ctx in _live.Values)
        {
            ctx.Abort();
        }
    }

    public static string ResponseId(int connection, int turn) => $"resp_{connection}_{turn}";

    public async Task HandleAsync(HttpContext ctx)
    {
        if (!ctx.WebSockets.IsWebSocketRequest || RefuseUpgrades)
        {
            ctx.Response.StatusCode = RefuseUpgrades ? 503 : 400;
            return;
        }

        using WebSocket ws = await ctx.WebSockets.AcceptWebSocketAsync();
        int connection = Interlocked.Increment(ref _connections);
        _live[connection] = ctx;
        string? last = null;
        int turn = 0;
        try
        {
            Task<string?> next = ReceiveAsync(ws);
            while (await next is string text)
            {
                Received.Enqueue(text);
                // Receive on during the turn: a message that arrives before its end is an overlap.
                next = ReceiveAsync(ws);
                using JsonDocument doc = JsonDocument.Parse(text);
                JsonElement root = doc.RootElement;
                if (root.GetProperty("type").GetString() != "response.create")
                {
                    continue;
                }

                turn++;
                string model = root.GetProperty("model").GetString()!;
                string? previous = root.TryGetProperty("previous_response_id", out JsonElement p) ? p.GetString() : null;
                bool store = !root.TryGetProperty("store", out JsonElement s) || s.ValueKind != JsonValueKind.False;
                if (previous is not null && !store && previous != last)
                {
                    Turns.Enqueue((connection, model, previous, null));
                    last = null; // a failed turn evicts what it continued (protocol-notes §A)
                    await SendAsync(ws, next, $$$"""{"type":"error","status":400,"error":{"type":"invalid_request_error","code":"previous_response_not_found","message":"Previous response with id '{{{previous}}}' not found.","param":"previous_response_id"}}""");
                    continue;
                }

                string id = model == "pool-sse" ? FakeStreams.ResponseId : ResponseId(connection, turn);
                Turns.Enqueue((connection, model, previous, id));
                last = id;
                foreach (string message in TurnEvents(model, id, previous))
                {
                    if (message == "gate")
                    {
                        GateWaiting.Release();
                        await Gate.WaitAsync();
                        continue;
                    }

                    if (message == "abort")
                    {
                        // A close frame, not a reset: it follows the events in order, so the relay reads them all first.
                        await ws.CloseOutputAsync(WebSocketCloseStatus.InternalServerError, "fake failure mid-turn", CancellationToken.None);
                        return;
                    }

                    await SendAsync(ws, next, message);
                }
            }

            if (ws.State == WebSocketState.CloseReceived)
            {
                ClosesReceived.Enqueue(ws.CloseStatus);
                await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or InvalidOperationException)
        {
            // The relay went away, or the test cut the connection.
        }
        finally
        {
            _live.TryRemove(connection, out _);
        }
    }

    private static IEnumerable<string> TurnEvents(string model, string id, string? previous)
    {
        if (model == "pool-sse")
        {
            // The SSE fixture's data lines, one message each: what an HTTP upstream sends, minus the framing.
            foreach (string e in FakeStreams.Responses(model))
            {
                yield return e[(e.IndexOf("data: ", StringComparison.Ordinal) + 6)..].TrimEnd('\n');
            }

            yield break;
        }

        string prev = previous is null ? "null" : $"\"{previous}\"";
        string Response(string status, string usage) =>
            $$$"""{"id":"{{{id}}}","object":"response","status":"{{{status}}}","model":"{{{model}}}","previous_response_id":{{{prev}}},"output":[],"usage":{{{usage}}}}""";
        int seq = 0;
        yield return $$$"""{"type":"response.created","sequence_number":{{{seq++}}},"response":{{{Response("in_progress", "null")}}}}""";
        if (model == "pool-gated")
        {
            yield return "gate";
        }

        yield return $$"""{"type":"response.output_text.delta","sequence_number":{{seq++}},"item_id":"msg_1","output_index":0,"content_index":0,"delta":"from {{id}}","logprobs":[]}""";
        if (model == "pool-abort")
        {
            yield return "abort";
        }

        yield return $$"""{"type":"response.output_text.delta","sequence_number":{{seq++}},"item_id":"msg_1","output_index":0,"content_index":0,"delta":" done","logprobs":[]}""";
        yield return $$$"""{"type":"response.completed","sequence_number":{{{seq}}},"response":{{{Response("completed", FakeStreams.ResponsesUsage)}}}}""";
    }

    private async Task SendAsync(WebSocket ws, Task<string?> next, string text)
    {
        if (next.IsCompletedSuccessfully && next.Result is string early && early.Contains("\"response.create\"", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _overlaps);
        }

        await ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
    }

    private static async Task<string?> ReceiveAsync(WebSocket ws)
    {
        byte[] buffer = new byte[1024 * 1024];
        int count = 0;
        while (true)
        {
            ValueWebSocketReceiveResult result = await ws.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            count += result.Count;
            if (result.EndOfMessage)
            {
                return Encoding.UTF8.GetString(buffer, 0, count);
            }
        }
    }
}
