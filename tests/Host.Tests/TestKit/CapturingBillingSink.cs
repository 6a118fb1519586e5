using System.Collections.Concurrent;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Streams;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Host.Tests.TestKit;

/// <summary>Collects billing records and lets a test wait for them.</summary>
public sealed class CapturingBillingSink : IBillingSink
{
    /// <summary>The request id prefix of the test kit's sentinel records (never a relay's).</summary>
    public const string SentinelPrefix = "sentinel_";

    private readonly ConcurrentQueue<BillingRecord> _records = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _sentinels = new();
    private readonly SemaphoreSlim _arrived = new(0);
    private BillingGateway? _gateway;
    private RelayProbe? _probe;
    private ConnectionCounters[] _relays = [];

    /// <summary>The relay's records, in arrival order (sentinels excluded).</summary>
    public IReadOnlyCollection<BillingRecord> Records => _records;

    public ValueTask WriteAsync(BillingRecord record, CancellationToken cancellationToken)
    {
        if (record.RequestId.StartsWith(SentinelPrefix, StringComparison.Ordinal))
        {
            _sentinels.GetOrAdd(record.RequestId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            return ValueTask.CompletedTask;
        }

        _records.Enqueue(record);
        _arrived.Release();
        return ValueTask.CompletedTask;
    }

    internal void Connect(BillingGateway gateway, RelayProbe probe, params ConnectionCounters[] relays)
    {
        _gateway = gateway;
        _probe = probe;
        _relays = relays;
    }

    /// <summary>Waits for the first record that matches. It does not show that no other one follows: see <see cref="SingleForAsync"/>.</summary>
    public async Task<BillingRecord> WaitForAsync(Func<BillingRecord, bool> match, TimeSpan? timeout = null) =>
        (await WaitForCountAsync(match, 1, timeout))[0];

    /// <summary>Waits until <paramref name="count"/> records match, and returns them in arrival order. It does not show that no other one follows.</summary>
    public async Task<BillingRecord[]> WaitForCountAsync(Func<BillingRecord, bool> match, int count, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            BillingRecord[] found = [.. _records.Where(match).Take(count)];
            if (found.Length == count)
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

    /// <summary>
    /// The one record of the HTTP exchange for <paramref name="requestedModel"/>. After the first
    /// match it waits until that exchange's handler has returned (every record it emits is queued by
    /// then) and the billing queue has delivered everything queued so far (see <see cref="DrainAsync"/>),
    /// then fails if there is more than one record for that request id or that model.
    /// </summary>
    public async Task<BillingRecord> SingleForAsync(string requestedModel)
    {
        BillingRecord record = await WaitForAsync(r => r.RequestedModel == requestedModel);
        await DrainAsync(record.RequestId);
        Assert.Single(_records, r => r.RequestId == record.RequestId);
        Assert.Single(_records, r => r.RequestedModel == requestedModel);
        return record;
    }

    /// <summary>
    /// Waits until the handler of <paramref name="requestId"/> has returned, then until every record
    /// queued so far reached the sinks: the billing actor delivers in the order records were handed
    /// over, so once a sentinel handed over now arrives, everything handed over before it has arrived too.
    /// </summary>
    public async Task DrainAsync(string requestId)
    {
        await _probe!.WaitFinishedAsync(requestId);
        await DrainAsync();
    }

    /// <summary>Waits until every record queued so far has reached the sinks (a sentinel through the same FIFO queue).</summary>
    public async Task DrainAsync()
    {
        // A handler reports its exchange's end to the connection's supervisor, which makes the record:
        // first every end reported so far has become a record handed to billing.
        using (var settled = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        {
            while (_relays.Any(relay => relay.EndsInFlight > 0))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(2), settled.Token);
            }
        }

        string id = SentinelPrefix + Guid.NewGuid().ToString("N");
        Task arrived = _sentinels.GetOrAdd(id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        await _gateway!.EnqueueAsync(Sentinel(id));
        await arrived.WaitAsync(TimeSpan.FromSeconds(20));
    }

    private static BillingRecord Sentinel(string id) => new()
    {
        RequestId = id,
        Api = ApiKind.ChatCompletions,
        Provider = "test-kit",
        RequestedModel = "test-kit/sentinel",
        UpstreamModel = "sentinel",
        Streaming = false,
        Usage = TokenUsage.Missing,
        Outcome = ExchangeOutcome.Completed,
        EndedBy = EndedBy.Relay,
        StartedAt = DateTimeOffset.UnixEpoch,
        Duration = TimeSpan.Zero,
    };
}
