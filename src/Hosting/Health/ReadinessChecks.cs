using Akka.Actor;
using AkkaProxy.Hosting.Ledger;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AkkaProxy.Hosting.Health;

/// <summary>
/// Ready to take requests: the host is not stopping (a draining relay says so, so a load balancer
/// stops sending it new work) and its actor system runs and is not shutting down.
/// </summary>
internal sealed class RelayReadyCheck(ActorSystem system, IHostApplicationLifetime lifetime) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("The relay is stopping: it finishes what it has and takes nothing new."));
        }

        if (system.WhenTerminated.IsCompleted || CoordinatedShutdown.Get(system).ShutdownReason is not null)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("The actor system is shutting down."));
        }

        return Task.FromResult(HealthCheckResult.Healthy());
    }
}

/// <summary>The usage ledger is writable: its store opened, and its last batch was written.</summary>
internal sealed class LedgerWritableCheck(LedgerWriter ledger) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(ledger.LastFailure is { } failure
            ? HealthCheckResult.Unhealthy($"The usage ledger cannot write: {failure}. Records wait in its queue and are retried.")
            : ledger.IsStarted
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("The usage ledger has not opened its store yet."));
}
