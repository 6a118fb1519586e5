using System.Net.WebSockets;

namespace AkkaProxy.Pipeline.Streams;

/// <summary>
/// One whole WebSocket message in a session's graph (a <see cref="SocketSource"/> reads it; a
/// <see cref="SocketSink"/> sends it). A loan, reused: its bytes belong to the reader's buffer and are
/// valid until the source is pulled again.
/// </summary>
internal sealed class SocketMessage
{
    public WebSocketMessageType Type { get; private set; }

    public ReadOnlyMemory<byte> Payload { get; private set; }

    public SocketMessage Set(WebSocketMessageType type, ReadOnlyMemory<byte> payload)
    {
        Type = type;
        Payload = payload;
        return this;
    }
}
