using Akka.Actor;
using AkkaProxy.Pipeline.Billing;

namespace AkkaProxy.Hosting.Billing;

/// <summary>
/// Hands each record to a service's actor and waits for its <see cref="BillingAck"/> before the next
/// (the billing actor calls the sinks one record at a time, so the actor's pace holds the queue
/// behind it, up to its bound). The actor is looked up at the first record, once the service's
/// actors are registered: resolving it while the actor system is being built would wait on itself.
/// </summary>
internal sealed class SubscriberBillingSink(
    string name,
    Func<CancellationToken, Task<IActorRef>> resolve,
    TimeSpan ackTimeout,
    ILogger<SubscriberBillingSink> logger) : IBillingSink
{
    private IActorRef? _subscriber;

    public async ValueTask WriteAsync(BillingRecord record, CancellationToken cancellationToken)
    {
        IActorRef subscriber = _subscriber ??= await resolve(cancellationToken).ConfigureAwait(false);
        try
        {
            await subscriber.Ask<BillingAck>(record, ackTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            logger.LogWarning("The subscriber {Subscriber} did not acknowledge record {RequestId} within {Timeout}; going on with the next record.", name, record.RequestId, ackTimeout);
        }
    }
}
