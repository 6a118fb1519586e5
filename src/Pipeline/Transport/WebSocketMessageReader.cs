using System.Buffers;
using System.Net.WebSockets;

namespace AkkaProxy.Pipeline.Transport;

/// <summary>
/// Reads whole WebSocket messages from one socket, up to a limit. An idle socket holds no buffer: it
/// waits for the next message with a zero-byte receive, then borrows a pooled buffer of
/// <c>bufferBytes</c> (a larger message borrows a larger one), given back on the next read.
/// </summary>
internal sealed class WebSocketMessageReader(WebSocket socket, int maxMessageBytes, int bufferBytes) : IDisposable
{
    private byte[]? _rented;

    /// <summary>Receives the next message. Its bytes are valid until the next call.</summary>
    public async ValueTask<WebSocketMessage> ReceiveAsync(CancellationToken cancellationToken)
    {
        ReturnRented();

        // Wait with no buffer: completes once a frame header has arrived, without consuming payload.
        ValueWebSocketReceiveResult first = await socket.ReceiveAsync(Memory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        if (first.MessageType == WebSocketMessageType.Close)
        {
            return WebSocketMessage.Closed;
        }

        if (first.EndOfMessage)
        {
            return new WebSocketMessage(WebSocketMessageKind.Data, first.MessageType, ReadOnlyMemory<byte>.Empty);
        }

        byte[] buffer = _rented = ArrayPool<byte>.Shared.Rent(bufferBytes);
        int count = 0;
        while (true)
        {
            if (count == buffer.Length)
            {
                if (count > maxMessageBytes)
                {
                    return WebSocketMessage.TooLarge;
                }

                buffer = Grow(buffer, count);
            }

            ValueWebSocketReceiveResult result = await socket.ReceiveAsync(buffer.AsMemory(count), cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return WebSocketMessage.Closed;
            }

            count += result.Count;
            if (count > maxMessageBytes)
            {
                return WebSocketMessage.TooLarge;
            }

            if (result.EndOfMessage)
            {
                return new WebSocketMessage(WebSocketMessageKind.Data, result.MessageType, buffer.AsMemory(0, count));
            }
        }
    }

    public void Dispose() => ReturnRented();

    private byte[] Grow(byte[] current, int used)
    {
        byte[] larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)maxMessageBytes + 1, Math.Max(used * 2L, 16 * 1024)));
        current.AsSpan(0, used).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(current);
        _rented = larger;
        return larger;
    }

    private void ReturnRented()
    {
        if (_rented is not null)
        {
            ArrayPool<byte>.Shared.Return(_rented);
            _rented = null;
        }
    }
}

/// <summary>What <see cref="WebSocketMessageReader"/> received.</summary>
internal enum WebSocketMessageKind
{
    Data,
    Closed,
    TooLarge,
}

/// <summary>One received message (or the close or overflow that ended reading).</summary>
internal readonly record struct WebSocketMessage(WebSocketMessageKind Kind, WebSocketMessageType Type, ReadOnlyMemory<byte> Payload)
{
    public static WebSocketMessage Closed => new(WebSocketMessageKind.Closed, WebSocketMessageType.Close, default);

    public static WebSocketMessage TooLarge => new(WebSocketMessageKind.TooLarge, WebSocketMessageType.Close, default);
}
