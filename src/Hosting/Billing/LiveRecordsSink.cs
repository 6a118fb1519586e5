using AkkaProxy.Pipeline.Billing;

namespace AkkaProxy.Hosting.Billing;

/// <summary>
/// Fans billing records out to the live feed's subscribers (<c>GET /admin/usage/live</c>). Each
/// subscriber has a bounded buffer of its own; a record that does not fit is dropped for that
/// subscriber alone and counted, so a slow page never slows billing (this sink never waits) nor the
/// other subscribers. Thread-safe: the billing actor writes while pages subscribe and leave.
/// </summary>
internal sealed class LiveRecordsSink(int bufferPerSubscriber) : IBillingSink
{
    private readonly Lock _gate = new();
    private LiveSubscription[] _subscribers = [];

    /// <summary>How many subscribers there are now.</summary>
    public int Subscribers => Volatile.Read(ref _subscribers).Length;

    /// <summary>Starts a subscription: every record written from now on, until it is disposed.</summary>
    public LiveSubscription Subscribe()
    {
        var subscription = new LiveSubscription(bufferPerSubscriber, Remove);
        lock (_gate)
        {
            _subscribers = [.. _subscribers, subscription];
        }

        return subscription;
    }

    /// <inheritdoc />
    /// <remarks>Never waits: one non-blocking write per subscriber, on a snapshot of the subscribers.</remarks>
    public ValueTask WriteAsync(BillingRecord record, CancellationToken cancellationToken)
    {
        foreach (LiveSubscription subscriber in Volatile.Read(ref _subscribers))
        {
            subscriber.Offer(record);
        }

        return ValueTask.CompletedTask;
    }

    private void Remove(LiveSubscription subscription)
    {
        lock (_gate)
        {
            _subscribers = [.. _subscribers.Where(s => !ReferenceEquals(s, subscription))];
        }
    }
}
