using System.Buffers;
using System.Net.WebSockets;

namespace AkkaProxy.Pipeline.Transport;

/// <summary>
/// Reads whole WebSocket messages from one socket, up to a limit. Keeps one small buffer for the
/// idle wait and ordinary messages; a larger message borrows a pooled buffer, given back on the next read.
/// </summary>
internal sealed class WebSocketMessageReader(WebSocket socket, int maxMessageBytes, int bufferBytes) : IDisposable
{
    private readonly byte[] _small = new byte[bufferBytes];
    private byte[]? _large;

    /// <summary>Receives the next message. Its bytes are valid until the next call.</summary>
    public async ValueTask<WebSocketMessage> ReceiveAsync(CancellationToken cancellationToken)
    {
        ReturnLarge();
        byte[] buffer = _small;
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

    public void Dispose() => ReturnLarge();

    private byte[] Grow(byte[] current, int used)
    {
        byte[] larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)maxMessageBytes + 1, Math.Max(used * 2L, 16 * 1024)));
        current.AsSpan(0, used).CopyTo(larger);
        if (!ReferenceEquals(current, _small))
        {
            ArrayPool<byte>.Shared.Return(current);
        }

        _large = larger;
        return larger;
    }

    private void ReturnLarge()
    {
        if (_large is not null)
        {
            ArrayPool<byte>.Shared.Return(_large);
            _large = null;
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
