using AkkaProxy.Pipeline.Billing;

namespace AkkaProxy.Host.Billing;

/// <summary>
/// Runs the billing loop with the host. It drains the queue in <see cref="StoppedAsync"/>, after every
/// hosted service (Kestrel included) has stopped, so records of requests that finish during
/// shutdown still reach the sinks.
/// </summary>
internal sealed class BillingHostedService(BillingDispatcher dispatcher) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        dispatcher.Start();
        return Task.CompletedTask;
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => dispatcher.StopAsync();
}
