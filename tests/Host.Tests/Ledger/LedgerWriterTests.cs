using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Hosting.Ledger;
using AkkaProxy.Ledger.Sqlite;
using AkkaProxy.Pipeline.Billing;
using Microsoft.Extensions.Logging.Abstractions;

namespace AkkaProxy.Host.Tests.Ledger;

/// <summary>The batching writer over a real SQLite file: batches, retries without double counting, the flush on stop.</summary>
public sealed class LedgerWriterTests : IAsyncLifetime
{
    private readonly string _directory = RelayTestHost.NewDataDirectory();
    private FlakyStore _store = null!;

    private string File => Path.Combine(_directory, "usage.db");

    public Task InitializeAsync()
    {
        _store = new FlakyStore(new SqliteLedgerStore(File));
        return Task.CompletedTask;
    }

    [Fact]
    public async Task RecordsHandedOver_AreWrittenInBatches_AndAllOfThemBeforeStopReturns()
    {
        LedgerWriter writer = Writer(batchSize: 50);
        await writer.StartAsync(CancellationToken.None);
        foreach (BillingRecord record in LedgerRecords.Records("load", 1000))
        {
            await writer.WriteAsync(record, CancellationToken.None);
        }

        await writer.StopAsync(CancellationToken.None);

        Assert.Equal(1000, writer.Acknowledged);
        Assert.Equal(0, writer.QueueDepth);
        Assert.Equal(1000, LedgerRecords.ReadRows(File).Count);
        Assert.True(_store.LargestBatch <= 50, $"a batch of {_store.LargestBatch}, over the batch size");
        // Handed over at once, they are written many to a transaction, not one each (1,000 transactions).
        Assert.True(_store.Batches <= 200, $"{_store.Batches} transactions for 1,000 records");
    }

    [Fact]
    public async Task WhenWritten_CompletesOnceEveryRecordHandedOverBeforeItIsCommitted()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var writer = new LedgerWriter(_store, new LedgerOptions { BatchSize = 50, FlushInterval = TimeSpan.FromSeconds(1) }, clock, NullLogger<LedgerWriter>.Instance);
        await writer.StartAsync(CancellationToken.None);
        Assert.True(writer.WhenWrittenAsync(CancellationToken.None).IsCompleted); // nothing handed over: nothing to wait for
        foreach (BillingRecord record in LedgerRecords.Records("written", 5))
        {
            await writer.WriteAsync(record, CancellationToken.None);
        }

        // The batch waits out its flush interval on the relay's clock, which only the test moves.
        Task written = writer.WhenWrittenAsync(CancellationToken.None);
        Assert.False(written.IsCompleted);
        for (int i = 0; i < 100 && !written.IsCompleted; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(written, Task.Delay(20));
        }

        await written;
        Assert.Equal(5, writer.Acknowledged);
        Assert.Equal(5, LedgerRecords.ReadRows(File).Count);
        await writer.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task ABatchThatFails_IsWrittenAgain_AndNoRecordIsLostOrCountedTwice()
    {
        _store.FailAfterCommit = 2; // the transaction commits, then the writer hears a failure: the worst case for a retry
        LedgerWriter writer = Writer(batchSize: 10);
        await writer.StartAsync(CancellationToken.None);
        foreach (BillingRecord record in LedgerRecords.Records("flaky", 100))
        {
            await writer.WriteAsync(record, CancellationToken.None);
        }

        await writer.StopAsync(CancellationToken.None);

        Assert.Equal(100, LedgerRecords.ReadRows(File).Count);
        Assert.Equal(0, _store.FailAfterCommit); // both failures happened, and were retried
        Assert.Equal(100, writer.Acknowledged);
    }

    [Fact]
    public async Task AStopWhoseHostTimeoutHasPassed_StillWritesEverythingQueued()
    {
        LedgerWriter writer = Writer(batchSize: 10);
        await writer.StartAsync(CancellationToken.None);
        foreach (BillingRecord record in LedgerRecords.Records("late-stop", 500))
        {
            await writer.WriteAsync(record, CancellationToken.None);
        }

        await writer.StopAsync(new CancellationToken(canceled: true)); // the host's shutdown timeout is already over

        Assert.Equal(500, LedgerRecords.ReadRows(File).Count); // the store is disposed after this: nothing may still be queued
    }

    [Fact]
    public async Task ARecordHandedOverAfterStop_IsWrittenAtOnce()
    {
        LedgerWriter writer = Writer(batchSize: 10);
        await writer.StartAsync(CancellationToken.None);
        await writer.StopAsync(CancellationToken.None);

        await writer.WriteAsync(LedgerRecords.Record("late"), CancellationToken.None);

        Assert.True(LedgerRecords.ReadRows(File).ContainsKey("late"));
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private LedgerWriter Writer(int batchSize) => new(
        _store,
        new LedgerOptions { BatchSize = batchSize, FlushInterval = TimeSpan.FromMilliseconds(20), RetryDelay = TimeSpan.FromMilliseconds(10) },
        TimeProvider.System,
        NullLogger<LedgerWriter>.Instance);

    /// <summary>The real store; it can report a failure after a batch has committed, and counts batches.</summary>
    private sealed class FlakyStore(ILedgerStore inner) : ILedgerStore
    {
        private int _batches;
        private int _largest;

        public int FailAfterCommit { get; set; }

        public int Batches => Volatile.Read(ref _batches);

        public int LargestBatch => Volatile.Read(ref _largest);

        public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

        public async Task<int> WriteAsync(IReadOnlyList<BillingRecord> batch, CancellationToken cancellationToken)
        {
            int inserted = await inner.WriteAsync(batch, cancellationToken);
            Interlocked.Increment(ref _batches);
            _largest = Math.Max(_largest, batch.Count);
            if (FailAfterCommit > 0)
            {
                FailAfterCommit--;
                throw new IOException("disk hiccup after the commit");
            }

            return inserted;
        }

        public Task<long> CountAsync(CancellationToken cancellationToken) => inner.CountAsync(cancellationToken);

        public Task<LedgerPage> QueryAsync(LedgerQuery query, CancellationToken cancellationToken) => inner.QueryAsync(query, cancellationToken);

        public Task<IReadOnlyList<LedgerSummaryRow>> SummarizeAsync(LedgerGrouping by, LedgerRange range, CancellationToken cancellationToken) => inner.SummarizeAsync(by, range, cancellationToken);

        public Task<IReadOnlyList<LedgerSeriesPoint>> SeriesAsync(LedgerGrouping by, LedgerBucket bucket, LedgerRange range, CancellationToken cancellationToken) => inner.SeriesAsync(by, bucket, range, cancellationToken);

        public Task<IReadOnlyList<AkkaProxy.Pipeline.Billing.BillingRecord>> MostExpensiveAsync(LedgerRange range, int limit, CancellationToken cancellationToken) => inner.MostExpensiveAsync(range, limit, cancellationToken);

        public Task<IReadOnlyList<LedgerOutcomeCount>> OutcomesAsync(LedgerRange range, CancellationToken cancellationToken) => inner.OutcomesAsync(range, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
