using AkkaProxy.Pipeline.Billing;

namespace AkkaProxy.Host.Billing;

/// <summary>Runs the billing loop with the host, and drains the queue when the host stops.</summary>
internal sealed class BillingHostedService(BillingDispatcher dispatcher) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        dispatcher.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => dispatcher.StopAsync();
}
