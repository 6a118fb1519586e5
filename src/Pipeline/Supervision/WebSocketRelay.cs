using System.Net.WebSockets;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Transport;
using Microsoft.Extensions.Logging;

namespace AkkaProxy.Pipeline.Supervision;

/// <summary>
/// Relays Responses WebSocket mode: one supervised session per client socket, many
/// <c>response.create</c> turns on it, one billing record per turn. Works with any client socket
/// (an accepted Kestrel socket, or any <see cref="WebSocket"/>) and any upstream the
/// <see cref="IUpstreamWebSocketDialer"/> opens. See docs/architecture.md and docs/websocket-mode.md.
/// </summary>
/// <remarks>Thread-safe; one instance serves every session.</remarks>
public sealed class WebSocketRelay
{
    private int _active;

    /// <summary>Creates the relay.</summary>
    public WebSocketRelay(ProxyStreamFactory factory, ModelRouter router, IUpstreamWebSocketDialer dialer, BillingGateway billing, PricingTable pricing, WebSocketRelayOptions options, TimeProvider time, ILogger<WebSocketRelay> logger, CancellationToken shutdown = default)
    {
        options.Validate();
        Factory = factory;
        Router = router;
        Dialer = dialer;
        Billing = billing;
        Pricing = pricing;
        Options = options;
        Time = time;
        Logger = logger;
        Shutdown = shutdown;
    }

    /// <summary>Sessions running now. Zero once every socket and supervisor has finished.</summary>
    public int ActiveSessions => Volatile.Read(ref _active);

    /// <summary>The options.</summary>
    public WebSocketRelayOptions Options { get; }

    internal ProxyStreamFactory Factory { get; }

    internal ModelRouter Router { get; }

    internal IUpstreamWebSocketDialer Dialer { get; }

    internal BillingGateway Billing { get; }

    internal PricingTable Pricing { get; }

    internal TimeProvider Time { get; }

    internal ILogger Logger { get; }

    internal CancellationToken Shutdown { get; }

    /// <summary>Runs the session on an accepted client socket until both sides are closed; disposes the socket.</summary>
    /// <param name="client">The client's socket, already accepted.</param>
    /// <param name="handshake">What the upgrade said.</param>
    /// <param name="clientAborted">Fires when the client's connection is lost.</param>
    public async Task RelayAsync(WebSocket client, WebSocketHandshake handshake, CancellationToken clientAborted)
    {
        Interlocked.Increment(ref _active);
        try
        {
            await new WebSocketSession(this, client, handshake).RunAsync(clientAborted).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _active);
        }
    }
}
