using System.Net.WebSockets;
using AkkaProxy.Pipeline.Transport;

namespace AkkaProxy.Pipeline.Pooling;

/// <summary>
/// One upstream socket of a pool. Its pool actor hands it to one caller at a time (a lease), so only
/// that caller sends and reads; between leases only the actor touches it.
/// </summary>
internal sealed class PooledSocket(int id, WebSocket socket, WebSocketRelayOptions limits, DateTimeOffset openedAt) : IDisposable
{
    private readonly WebSocketMessageReader _reader = new(socket, limits.MaxMessageBytes, limits.ReceiveBufferBytes);
    private int _closed;

    /// <summary>The socket's number in its pool (1, 2, ...), for logs and tests.</summary>
    public int Id { get; } = id;

    public DateTimeOffset OpenedAt { get; } = openedAt;

    /// <summary>When its last turn ended (or when it was opened).</summary>
    public DateTimeOffset LastUsedAt { get; set; } = openedAt;

    /// <summary>The id of the last response this socket completed: the provider keeps it in the socket's memory (protocol-notes §A).</summary>
    public string? LastResponseId { get; set; }

    public bool IsOpen => socket.State == WebSocketState.Open;

    public bool IsExpired(DateTimeOffset now, TimeSpan lifetime) => now - OpenedAt >= lifetime;

    public ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken) =>
        socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);

    /// <summary>The next whole message; its bytes are valid until the next call.</summary>
    public ValueTask<WebSocketMessage> ReceiveAsync(CancellationToken cancellationToken) => _reader.ReceiveAsync(cancellationToken);

    /// <summary>How the upstream closed the socket, once it did.</summary>
    public WebSocketCloseStatus? CloseStatus => socket.CloseStatus;

    /// <summary>Closes the socket (a close frame, answered or not within <paramref name="timeout"/>), then disposes it. Idempotent.</summary>
    public async Task CloseAsync(WebSocketCloseStatus status, string reason, TimeSpan timeout)
    {
        if (Interlocked.Exchange(ref _closed, 1) == 1)
        {
            return;
        }

        try
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var cts = new CancellationTokenSource(timeout);
                await socket.CloseOutputAsync(status, reason, cts.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            // The peer is gone already: disposing is all that is left.
        }
        finally
        {
            Dispose();
        }
    }

    /// <summary>Disposes the socket at once, with no close handshake (a socket left mid-turn is never reused).</summary>
    public void Dispose()
    {
        Interlocked.Exchange(ref _closed, 1);
        socket.Dispose();
        _reader.Dispose();
    }
}
