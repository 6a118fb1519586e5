using AkkaProxy.Pipeline.Supervision;

namespace AkkaProxy.Hosting.Lifecycle;

/// <summary>
/// The graceful drain on SIGTERM. When the host starts stopping, Kestrel stops accepting connections
/// and waits for the requests it has; this tells both relays to drain (a new request gets 503, each
/// WebSocket closes with 1001 after its open turns) and starts the drain's deadline, the relays'
/// shutdown token, which ends whatever is still open after <see cref="ShutdownOptions.DrainTimeout"/>.
/// The ledger's writer stops after the actor system, so it takes every record of the drain.
/// </summary>
internal sealed class RelayDrain(IServiceProvider services, IHostApplicationLifetime lifetime, ShutdownOptions options, ILogger<RelayDrain> logger) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _deadline = new();
    private CancellationTokenRegistration _onStopping;

    /// <summary>Fires when the drain's time is up (at once with a drain timeout of 0): open exchanges and sessions end then.</summary>
    public CancellationToken Deadline => _deadline.Token;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _onStopping = lifetime.ApplicationStopping.Register(Begin);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Begin()
    {
        HttpRelay http = services.GetRequiredService<HttpRelay>();
        WebSocketRelay sockets = services.GetRequiredService<WebSocketRelay>();
        logger.LogInformation(
            "Draining: {Requests} requests and {Sessions} WebSocket sessions open; they have {DrainTimeout} to finish.",
            http.OpenExchanges, sockets.ActiveSessions, options.DrainTimeout);
        http.StartDraining();
        sockets.StartDraining();
        if (options.DrainTimeout <= TimeSpan.Zero)
        {
            _deadline.Cancel();
        }
        else
        {
            _deadline.CancelAfter(options.DrainTimeout);
        }
    }

    public void Dispose()
    {
        _onStopping.Dispose();
        _deadline.Dispose();
    }
}
