using AkkaProxy.Hosting.Auth;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AkkaProxy.Hosting.Health;

/// <summary>The relay keys' budgets know what was spent: their spend was read back from the usage ledger.</summary>
internal sealed class KeyBudgetsReadyCheck(KeyPolicy policy) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(policy.IsRestored
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("The relay keys' spend is still being read back from the usage ledger."));
}
