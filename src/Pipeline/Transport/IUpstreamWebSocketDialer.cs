using System.Net.WebSockets;
using AkkaProxy.Pipeline.Routing;

namespace AkkaProxy.Pipeline.Transport;

/// <summary>Opens the upstream socket of a WebSocket session, once its provider is known.</summary>
public interface IUpstreamWebSocketDialer
{
    /// <summary>Connects to <paramref name="provider"/>'s Responses WebSocket endpoint.</summary>
    /// <param name="provider">The provider the first <c>response.create</c> routed to.</param>
    /// <param name="handshake">The client's upgrade: headers to forward.</param>
    /// <param name="upstreamModel">The model of the <c>?model=</c> query, prefix removed, if the client gave one.</param>
    /// <param name="cancellationToken">Cancels the connect.</param>
    /// <exception cref="WebSocketException">The upstream refused or could not be reached.</exception>
    ValueTask<WebSocket> ConnectAsync(Provider provider, WebSocketHandshake handshake, string? upstreamModel, CancellationToken cancellationToken);
}
