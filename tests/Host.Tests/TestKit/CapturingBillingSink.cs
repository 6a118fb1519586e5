using System.Collections.Concurrent;
using AkkaProxy.Pipeline.Billing;

namespace AkkaProxy.Host.Tests.TestKit;

/// <summary>Collects billing records and lets a test wait for them.</summary>
public sealed class CapturingBillingSink : IBillingSink
{
    private readonly ConcurrentQueue<BillingRecord> _records = new();
    private readonly SemaphoreSlim _arrived = new(0);

    public IReadOnlyCollection<BillingRecord> Records => _records;

    public ValueTask WriteAsync(BillingRecord record, CancellationToken cancellationToken)
    {
        _records.Enqueue(record);
        _arrived.Release();
        return ValueTask.CompletedTask;
    }

    /// <summary>Waits for the record of <paramref name="requestId"/> or, when null, for the next record.</summary>
    public async Task<BillingRecord> WaitForAsync(Func<BillingRecord, bool> match, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            BillingRecord? found = _records.FirstOrDefault(match);
            if (found is not null)
            {
                return found;
            }

            try
            {
                await _arrived.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"No matching billing record arrived; got {_records.Count}: {string.Join("; ", _records.Select(r => $"{r.RequestedModel}/{r.Outcome}"))}");
            }
        }
    }

    /// <summary>The one record for <paramref name="requestedModel"/>; fails if there is more than one.</summary>
    public async Task<BillingRecord> SingleForAsync(string requestedModel)
    {
        BillingRecord record = await WaitForAsync(r => r.RequestedModel == requestedModel);
        Assert.Single(_records, r => r.RequestedModel == requestedModel);
        return record;
    }
}
