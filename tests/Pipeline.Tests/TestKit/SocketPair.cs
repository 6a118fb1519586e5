using System.Net.WebSockets;

namespace AkkaProxy.Pipeline.Tests.TestKit;

/// <summary>
/// Two real WebSockets (<see cref="WebSocket.CreateFromStream(Stream, WebSocketCreationOptions)"/>)
/// connected in memory: <see cref="Relay"/>, the side a stage under test reads or sends on, and
/// <see cref="Peer"/>, the test's side. A send on the relay's side completes only once the peer has
/// read it; the peer's sends are buffered. <see cref="Stream"/> counts what the relay's socket reads and writes.
/// </summary>
internal sealed class SocketPair : IDisposable
{
    private SocketPair(DuplexPipeStream relay, DuplexPipeStream peer)
    {
        Stream = relay;
        Relay = WebSocket.CreateFromStream(relay, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
        Peer = WebSocket.CreateFromStream(peer, new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.Zero });
    }

    public WebSocket Relay { get; }

    public WebSocket Peer { get; }

    /// <summary>The relay socket's side of the connection.</summary>
    public DuplexPipeStream Stream { get; }

    public static SocketPair Create()
    {
        (DuplexPipeStream relay, DuplexPipeStream peer) = DuplexPipeStream.CreatePair();
        return new SocketPair(relay, peer);
    }

    /// <summary>The peer sends <paramref name="payload"/> as one message in pieces of <paramref name="pieces"/> bytes (the last piece may be shorter).</summary>
    public async Task SendAsync(byte[] payload, WebSocketMessageType type, int pieces = int.MaxValue)
    {
        int offset = 0;
        do
        {
            int count = Math.Min(pieces, payload.Length - offset);
            await Peer.SendAsync(payload.AsMemory(offset, count), type, endOfMessage: offset + count == payload.Length, CancellationToken.None);
            offset += count;
        }
        while (offset < payload.Length);
    }

    /// <summary>The peer receives one whole message.</summary>
    public async Task<(WebSocketMessageType Type, byte[] Payload)> ReceiveAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = new MemoryStream();
        byte[] buffer = new byte[256];
        while (true)
        {
            ValueWebSocketReceiveResult result = await Peer.ReceiveAsync(buffer.AsMemory(), timeout.Token);
            received.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return (result.MessageType, received.ToArray());
            }
        }
    }

    public void Dispose()
    {
        Relay.Abort();
        Peer.Abort();
        Relay.Dispose();
        Peer.Dispose();
    }
}
