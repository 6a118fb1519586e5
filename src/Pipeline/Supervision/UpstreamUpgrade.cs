using System.Net.WebSockets;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Transport;

namespace AkkaProxy.Pipeline.Supervision;

/// <summary>
/// An upstream socket opened before the client's upgrade was answered (see
/// <see cref="WebSocketRelay.DialAheadAsync"/>), with what the upstream's handshake answered.
/// Give it to <see cref="WebSocketRelay.RelayAsync(WebSocket, WebSocketHandshake, UpstreamUpgrade?, CancellationToken)"/>,
/// which adopts it; dispose it when the client's upgrade fails instead.
/// </summary>
public sealed class UpstreamUpgrade : IDisposable
{
    private WebSocket? _socket;

    internal UpstreamUpgrade(WebSocket socket, Provider provider, IReadOnlyDictionary<string, IEnumerable<string>> responseHeaders)
    {
        _socket = socket;
        Provider = provider;
        ResponseHeaders = responseHeaders;
    }

    /// <summary>The provider dialled.</summary>
    public Provider Provider { get; }

    /// <summary>The upstream's handshake response headers, as it sent them (not yet filtered).</summary>
    public IReadOnlyDictionary<string, IEnumerable<string>> ResponseHeaders { get; }

    /// <summary>Hands the socket over once: the session owns it from then on.</summary>
    internal WebSocket? Take() => Interlocked.Exchange(ref _socket, null);

    /// <summary>Aborts the socket unless a session adopted it.</summary>
    public void Dispose()
    {
        if (Take() is { } socket)
        {
            socket.Abort();
            socket.Dispose();
        }
    }
}
