using System.Net.WebSockets;

namespace AkkaProxy.Pipeline.Transport;

/// <summary>
/// Serialises sends on one socket: a WebSocket allows one send at a time, and in a session both the
/// pump and the supervisor (error events, closes) write to the same client.
/// </summary>
internal sealed class SocketSender(WebSocket socket)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _closeSent;

    public async ValueTask SendAsync(ReadOnlyMemory<byte> payload, WebSocketMessageType type)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await socket.SendAsync(payload, type, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Sends this side's close frame once, if the socket can still take one; never throws.</summary>
    public async Task CloseAsync(WebSocketCloseStatus status, string description)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_closeSent || socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
            {
                return;
            }

            _closeSent = true;
            // A close reason is at most 123 bytes of UTF-8 (RFC 6455 §5.5).
            string reason = description.Length > 120 ? description[..120] : description;
            await socket.CloseOutputAsync(status, reason, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The peer is already gone: nothing to tell it.
        }
        finally
        {
            _gate.Release();
        }
    }
}
