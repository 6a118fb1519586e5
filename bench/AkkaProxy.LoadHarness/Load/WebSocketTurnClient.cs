using System.Diagnostics;
using System.Net.WebSockets;
using AkkaProxy.LoadHarness.Fake;

namespace AkkaProxy.LoadHarness.Load;

/// <summary>
/// A client socket in Responses WebSocket mode: sends a <c>response.create</c>, then reads messages
/// until the one that starts with <c>{"type":"response.completed",</c>, counting them. Reads into one
/// 16 KiB buffer; nothing is parsed beyond that prefix.
/// </summary>
public sealed class WebSocketTurnClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly byte[] _buffer = new byte[16 * 1024];

    private WebSocketTurnClient(ClientWebSocket socket) => _socket = socket;

    public static async Task<WebSocketTurnClient> ConnectAsync(Uri uri, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        if (Deflate.Enabled)
        {
            socket.Options.DangerousDeflateOptions = new WebSocketDeflateOptions();
        }
        try
        {
            await socket.ConnectAsync(uri, cancellationToken);
            return new WebSocketTurnClient(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async Task<TurnResult> RunTurnAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        long sent = Stopwatch.GetTimestamp();
        await _socket.SendAsync(request, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
        long first = 0;
        int events = 0;
        bool atMessageStart = true, isTerminal = false;
        while (true)
        {
            ValueWebSocketReceiveResult result = await _socket.ReceiveAsync(_buffer.AsMemory(), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new WebSocketException($"closed by the peer: {_socket.CloseStatus} {_socket.CloseStatusDescription}");
            }

            if (first == 0)
            {
                first = Stopwatch.GetTimestamp();
            }

            if (atMessageStart)
            {
                isTerminal = _buffer.AsSpan(0, result.Count).StartsWith(UpstreamBodies.CompletedPrefix);
            }

            atMessageStart = result.EndOfMessage;
            if (result.EndOfMessage)
            {
                events++;
                if (isTerminal)
                {
                    return new TurnResult(sent, first, Stopwatch.GetTimestamp(), events);
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // The peer did not answer the close in time.
        }
        finally
        {
            _socket.Dispose();
        }
    }
}
