using AkkaProxy.Pipeline.Admission;
using System.Net.WebSockets;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using AkkaProxy.Pipeline.Actors;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Diagnostics;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Streams;
using AkkaProxy.Pipeline.Transport;
using Microsoft.Extensions.Logging;

namespace AkkaProxy.Pipeline.Supervision;

/// <summary>
/// Relays Responses WebSocket mode: one session per client socket (one Akka.Streams graph, both
/// directions, under a supervisor actor of its own), many <c>response.create</c> turns on it, one
/// billing record per turn. Works with any client socket
/// (an accepted Kestrel socket, or any <see cref="WebSocket"/>) and any upstream the
/// <see cref="IUpstreamWebSocketDialer"/> opens. See docs/architecture.md and docs/websocket-mode.md.
/// </summary>
/// <remarks>Thread-safe; one instance serves every session.</remarks>
public sealed class WebSocketRelay
{
    private int _active;

    /// <summary>Creates the relay.</summary>
    /// <param name="factory">The pipeline blueprint.</param>
    /// <param name="router">Model → provider.</param>
    /// <param name="dialer">Opens upstream sockets.</param>
    /// <param name="billing">Where billing records go.</param>
    /// <param name="pricing">Prices.</param>
    /// <param name="options">Limits and timeouts.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="system">The actor system the sessions' supervisors and graphs run in.</param>
    /// <param name="shutdown">Fires when the host stops; sessions close with 1001.</param>
    public WebSocketRelay(ProxyStreamFactory factory, ModelRouter router, IUpstreamWebSocketDialer dialer, BillingGateway billing, PricingTable pricing, WebSocketRelayOptions options, TimeProvider time, ILogger<WebSocketRelay> logger, ActorSystem system, CancellationToken shutdown = default)
    {
        options.Validate();
        RelayDispatcher.EnsureIn(system); // the sessions' graphs run on it
        Materializer = system.Materializer();
        SessionBlueprint = SessionGraph.Blueprint(factory.TurnStages, options.MaxMessageBytes, options.ReceiveBufferBytes);
        var outlet = new RecordOutlet(billing, factory.Admission);
        NewSupervisor = scope => ConnectionSupervisor.Start(system, scope, outlet, pricing, time, Connections);
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

    /// <summary>The sessions' supervisors and graphs: each session is a connection of its own.</summary>
    public ConnectionCounters Connections { get; } = new();

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

    /// <summary>
    /// Starts a graceful drain: each session finishes the turns it has open, then closes both sockets
    /// with 1001; a session with none closes now, and a new <c>response.create</c> gets an error event
    /// (503 <c>relay_shutting_down</c>). The relay's shutdown token (the drain's deadline) still ends
    /// every session at once. Idempotent.
    /// </summary>
    public void StartDraining() => _draining.Cancel();

    /// <summary>Whether <see cref="StartDraining"/> was called.</summary>
    public bool IsDraining => _draining.IsCancellationRequested;

    /// <summary>Fires when the drain starts.</summary>
    internal CancellationToken Draining => _draining.Token;

    private readonly CancellationTokenSource _draining = new();

    internal IMaterializer Materializer { get; }

    /// <summary>The graph every session materializes (built once: a blueprint is immutable).</summary>
    internal IRunnableGraph<(SocketSource.Control Client, SocketSource.Control Upstream, Task ClientSent, Task UpstreamSent)> SessionBlueprint { get; }

    internal Func<ConnectionScope, IActorRef> NewSupervisor { get; }

    /// <summary>Runs the session on an accepted client socket until both sides are closed; disposes the socket.</summary>
    /// <param name="client">The client's socket, already accepted.</param>
    /// <param name="handshake">What the upgrade said.</param>
    /// <param name="clientAborted">Fires when the client's connection is lost.</param>
    public Task RelayAsync(WebSocket client, WebSocketHandshake handshake, CancellationToken clientAborted) =>
        RelayAsync(client, handshake, null, clientAborted);

    /// <summary>Runs the session on an accepted client socket, on an upstream socket dialled ahead of the upgrade if there is one; disposes both sockets.</summary>
    /// <param name="client">The client's socket, already accepted.</param>
    /// <param name="handshake">What the upgrade said.</param>
    /// <param name="upstream">What <see cref="DialAheadAsync"/> opened, or null: the session dials at its first <c>response.create</c>.</param>
    /// <param name="clientAborted">Fires when the client's connection is lost.</param>
    public async Task RelayAsync(WebSocket client, WebSocketHandshake handshake, UpstreamUpgrade? upstream, CancellationToken clientAborted)
    {
        Interlocked.Increment(ref _active);
        try
        {
            await new WebSocketSession(this, client, handshake, upstream).RunAsync(clientAborted).ConfigureAwait(false);
        }
        finally
        {
            upstream?.Dispose(); // a session that failed to start never took it
            Interlocked.Decrement(ref _active);
        }
    }

    /// <summary>
    /// Dials the upstream before the client's upgrade is answered, when the upgrade already says
    /// where the session goes: its <c>?model=</c> routes (to a provider with the WebSocket mode and its
    /// key), or else <see cref="WebSocketRelayOptions.UpgradeProvider"/> is set. The upstream's
    /// handshake response headers can then go back on the client's <c>101</c>, as an HTTP response's
    /// headers do (Codex reads <c>x-codex-turn-state</c> and <c>openai-model</c> there), and the
    /// session is bound to that provider. Null when the upgrade names no provider, the key may not use
    /// it, or the dial failed (logged): the session then dials at its first <c>response.create</c>,
    /// which reports a failure in its own shape.
    /// </summary>
    /// <param name="handshake">What the upgrade said.</param>
    /// <param name="cancellationToken">Cancels the dial (the client left).</param>
    public async Task<UpstreamUpgrade?> DialAheadAsync(WebSocketHandshake handshake, CancellationToken cancellationToken)
    {
        if (UpgradeRoute(handshake) is not { } upgradeRoute)
        {
            return null;
        }

        (Provider provider, string? queryModel) = upgradeRoute;

        WebSocketHandshake traced = handshake with { ForwardedHeaders = TracePropagation.WithTraceContext(handshake.ForwardedHeaders, System.Diagnostics.Activity.Current) };
        WebSocket socket;
        try
        {
            socket = await Dialer.ConnectAsync(provider, traced, queryModel, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or HttpRequestException)
        {
            Logger.LogWarning(ex, "Dialling the WebSocket upstream {Provider} ahead of the client's upgrade failed; the session dials at its first turn.", provider.Name);
            return null;
        }

        return new UpstreamUpgrade(socket, provider, UpgradeResponseHeaders.Take(socket));
    }

    /// <summary>The provider an upgrade binds its session to before any message, and the model for the upstream's <c>?model=</c>.</summary>
    private (Provider Provider, string? QueryModel)? UpgradeRoute(WebSocketHandshake handshake)
    {
        Provider? provider;
        string? queryModel = null;
        if (handshake.Model is not null)
        {
            if (!Router.TryResolve(handshake.Model, out ProviderRoute route, out _))
            {
                return null;
            }

            (provider, queryModel) = (route.Provider, route.UpstreamModel);
        }
        else if (Options.UpgradeProvider is { Length: > 0 } name)
        {
            if (!Router.TryGetProvider(name, out provider!))
            {
                return null;
            }
        }
        else
        {
            return null;
        }

        bool usable = provider.HasWebSocketMode && !provider.IsMissingKey && Factory.Admission?.MayUse(handshake.KeyId, provider) != false;
        return usable ? (provider, queryModel) : null;
    }
}
