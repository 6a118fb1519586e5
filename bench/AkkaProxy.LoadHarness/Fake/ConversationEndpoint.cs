using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace AkkaProxy.LoadHarness.Fake;

/// <summary>
/// A provider whose latency depends on the transport, for the conversation benchmark (under
/// <c>/conv/v1/responses</c>, POST for SSE and GET upgraded for WebSocket mode): a new connection (TCP
/// or WebSocket) costs <see cref="ConnectionSetup"/> once; a turn whose <c>previous_response_id</c> is not
/// the last response of the socket it arrives on costs <see cref="CacheMiss"/> (the provider loads the
/// conversation from storage: always so over HTTP, which has no connection-local cache); every turn
/// costs <see cref="FirstToken"/> before its first event. A turn is a tool call: <c>response.created</c>,
/// the function call's item and argument deltas, <c>response.completed</c> with usage; every response
/// has an id of its own.
/// </summary>
internal static class ConversationEndpoint
{
    public static readonly TimeSpan ConnectionSetup = TimeSpan.FromMilliseconds(150);
    public static readonly TimeSpan CacheMiss = TimeSpan.FromMilliseconds(60);
    public static readonly TimeSpan FirstToken = TimeSpan.FromMilliseconds(20);
    public const string Path = "/conv/v1/responses";

    private static readonly ConcurrentDictionary<string, bool> Connections = new(StringComparer.Ordinal);
    private static long _responses;

    /// <summary>The counts a run reads back: new connections, turns that missed the socket's cache, turns.</summary>
    public static long NewConnections;
    public static long Misses;
    public static long Turns;

    public static async Task PostAsync(HttpContext context)
    {
        using JsonDocument body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        string? previous = PreviousId(body.RootElement);
        if (Connections.TryAdd(context.Features.Get<IConnectionIdFeature>()?.ConnectionId ?? context.Connection.Id, true))
        {
            Interlocked.Increment(ref NewConnections);
            await Task.Delay(ConnectionSetup, context.RequestAborted);
        }

        await TurnDelayAsync(previous is not null, context.RequestAborted);
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        foreach ((string type, string json) in Events(NewId(), previous))
        {
            await context.Response.WriteAsync($"event: {type}\ndata: {json}\n\n", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }
    }

    public static async Task WebSocketAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        Interlocked.Increment(ref NewConnections);
        await Task.Delay(ConnectionSetup, context.RequestAborted);
        using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { DangerousEnableCompression = Load.Deflate.Enabled });
        string? last = null; // the socket's in-memory response: a continuation of it needs no loading
        byte[] buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                int count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(count), context.RequestAborted);
                    count += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close && count < buffer.Length);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (socket.State == WebSocketState.CloseReceived)
                    {
                        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
                    }

                    return;
                }

                using JsonDocument message = JsonDocument.Parse(buffer.AsMemory(0, count));
                string? previous = PreviousId(message.RootElement);
                await TurnDelayAsync(previous is not null && previous != last, context.RequestAborted);
                string id = NewId();
                foreach ((_, string json) in Events(id, previous))
                {
                    await socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, context.RequestAborted);
                }

                last = id;
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // The relay went away.
        }
    }

    private static async Task TurnDelayAsync(bool miss, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Turns);
        if (miss)
        {
            Interlocked.Increment(ref Misses);
            await Task.Delay(CacheMiss, cancellationToken);
        }

        await Task.Delay(FirstToken, cancellationToken);
    }

    private static string? PreviousId(JsonElement request) =>
        request.TryGetProperty("previous_response_id", out JsonElement id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;

    private static string NewId() => "resp_conv" + Interlocked.Increment(ref _responses).ToString("x12", System.Globalization.CultureInfo.InvariantCulture);

    private const string Usage = """{"input_tokens":812,"input_tokens_details":{"cached_tokens":640},"output_tokens":24,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":836}""";

    private static IEnumerable<(string Type, string Json)> Events(string id, string? previous)
    {
        string prev = previous is null ? "null" : $"\"{previous}\"";
        string response(string status, string usage) =>
            $$$"""{"id":"{{{id}}}","object":"response","created_at":1751642570,"status":"{{{status}}}","model":"gpt-4o","output":[],"previous_response_id":{{{prev}}},"store":true,"usage":{{{usage}}}}""";
        int seq = 0;
        yield return ("response.created", $$$"""{"type":"response.created","sequence_number":{{{seq++}}},"response":{{{response("in_progress", "null")}}}}""");
        yield return ("response.output_item.added", $$$"""{"type":"response.output_item.added","sequence_number":{{{seq++}}},"output_index":0,"item":{"id":"fc_{{{id}}}","type":"function_call","status":"in_progress","name":"get_weather","call_id":"call_{{{id}}}","arguments":""}}""");
        foreach (string part in new[] { "{\\\"city\\\":", "\\\"Par", "is\\\",", "\\\"unit\\\":\\\"c\\\"}" })
        {
            yield return ("response.function_call_arguments.delta", $$$"""{"type":"response.function_call_arguments.delta","sequence_number":{{{seq++}}},"item_id":"fc_{{{id}}}","output_index":0,"delta":"{{{part}}}"}""");
        }

        yield return ("response.function_call_arguments.done", $$$"""{"type":"response.function_call_arguments.done","sequence_number":{{{seq++}}},"item_id":"fc_{{{id}}}","output_index":0,"arguments":"{\"city\":\"Paris\",\"unit\":\"c\"}"}""");
        yield return ("response.completed", $$$"""{"type":"response.completed","sequence_number":{{{seq++}}},"response":{{{response("completed", Usage)}}}}""");
    }
}
