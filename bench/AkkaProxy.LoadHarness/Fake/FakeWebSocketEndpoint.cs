using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace AkkaProxy.LoadHarness.Fake;

/// <summary>
/// <c>GET /v1/responses</c> upgraded (Responses WebSocket mode, docs/protocol-notes.md §A): for every
/// <c>response.create</c>, the events of a Responses stream as one JSON text message each, the last
/// being <c>response.completed</c> with usage. Other messages are ignored; a close is answered.
/// </summary>
internal static class FakeWebSocketEndpoint
{
    private const int MaxMessageBytes = 1024 * 1024;

    public static async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { DangerousEnableCompression = Load.Deflate.Enabled });
        CancellationToken aborted = context.RequestAborted;
        byte[] buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                int count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (count == buffer.Length)
                    {
                        if (buffer.Length >= MaxMessageBytes)
                        {
                            await socket.CloseAsync(WebSocketCloseStatus.MessageTooBig, "too big", aborted);
                            return;
                        }

                        Array.Resize(ref buffer, buffer.Length * 2);
                    }

                    result = await socket.ReceiveAsync(buffer.AsMemory(count), aborted);
                    count += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (socket.State == WebSocketState.CloseReceived)
                    {
                        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", aborted);
                    }

                    return;
                }

                UpstreamRequest request;
                try
                {
                    request = UpstreamRequest.Parse(new ReadOnlySequence<byte>(buffer, 0, count));
                }
                catch (JsonException)
                {
                    continue;
                }

                if (request.Type != "response.create")
                {
                    continue;
                }

                RenderedBody turn = RenderCache.Get(BodyShape.ResponsesWebSocket, BenchModel.EventsOf(request.Model));
                for (int i = 0; i < turn.Events; i++)
                {
                    await socket.SendAsync(turn.Event(i), WebSocketMessageType.Text, endOfMessage: true, aborted);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // The client (or the proxy in front) went away.
        }
    }
}
