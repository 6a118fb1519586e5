using System.Net.WebSockets;

namespace AkkaProxy.Pipeline.Transport;

/// <summary>
/// Serialises sends on one socket: a WebSocket allows one send at a time, and in a session both the
/// pump and the supervisor (error events, closes) write to the same client.
/// </summary>
/// <remarks>
/// A send waits as long as the peer takes (that is backpressure). A close waits at most the close
/// timeout, for the gate and for the frame: past it the socket is aborted, which also releases a send
/// stuck on a peer that stopped reading.
/// </remarks>
internal sealed class SocketSender(WebSocket socket, TimeSpan closeTimeout)
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
        if (!await _gate.WaitAsync(closeTimeout).ConfigureAwait(false))
        {
            socket.Abort(); // a send is stuck on a peer that does not read
            return;
        }

        try
        {
            if (_closeSent || socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
            {
                return;
            }

            _closeSent = true;
            using var timeout = new CancellationTokenSource(closeTimeout);
            await socket.CloseOutputAsync(status, Truncate(description), timeout.Token).ConfigureAwait(false);
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

    /// <summary>A close reason is at most 123 bytes of UTF-8 (RFC 6455 §5.5).</summary>
    private static string Truncate(string description)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(description) <= 123)
        {
            return description;
        }

        string cut = description[..Math.Min(description.Length, 60)];
        while (System.Text.Encoding.UTF8.GetByteCount(cut) > 123)
        {
            cut = cut[..^1];
        }

        return cut;
    }
}
