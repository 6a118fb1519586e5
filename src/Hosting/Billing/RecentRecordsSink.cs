using AkkaProxy.Pipeline.Billing;

namespace AkkaProxy.Hosting.Billing;

/// <summary>Keeps the most recent billing records in memory for <c>GET /admin/usage</c>. Thread-safe.</summary>
internal sealed class RecentRecordsSink(int capacity) : IBillingSink
{
    private readonly Queue<BillingRecord> _records = new();
    private readonly Lock _gate = new();

    /// <inheritdoc />
    public ValueTask WriteAsync(BillingRecord record, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _records.Enqueue(record);
            while (_records.Count > capacity)
            {
                _records.Dequeue();
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Up to <paramref name="limit"/> records, newest first.</summary>
    public IReadOnlyList<BillingRecord> Recent(int limit)
    {
        lock (_gate)
        {
            return _records.Reverse().Take(Math.Max(0, limit)).ToArray();
        }
    }
}
