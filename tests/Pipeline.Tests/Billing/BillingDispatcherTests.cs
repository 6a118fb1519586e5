using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Supervision;
using AkkaProxy.Pipeline.Usage;
using Microsoft.Extensions.Logging.Abstractions;

namespace AkkaProxy.Pipeline.Tests.Billing;

public sealed class BillingDispatcherTests
{
    [Fact]
    public async Task AFailingSink_NeverStopsTheOthers_AndStopDrainsEveryRecord()
    {
        var good = new ListSink();
        await using var dispatcher = new BillingDispatcher([new ThrowingSink(), good], NullLogger<BillingDispatcher>.Instance, capacity: 4);
        dispatcher.Start();

        for (int i = 0; i < 50; i++)
        {
            await dispatcher.EnqueueAsync(Record(i));
        }

        await dispatcher.StopAsync();

        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"req_{i}"), good.Records.Select(r => r.RequestId));
        Assert.Equal(50, dispatcher.Delivered);
    }

    [Fact]
    public async Task AFullQueue_MakesTheProducerWait_ItNeverDropsARecord()
    {
        var gate = new TaskCompletionSource();
        var slow = new GatedSink(gate.Task);
        await using var dispatcher = new BillingDispatcher([slow], NullLogger<BillingDispatcher>.Instance, capacity: 2);
        dispatcher.Start();

        var pending = new List<Task>();
        for (int i = 0; i < 6; i++)
        {
            pending.Add(dispatcher.EnqueueAsync(Record(i)).AsTask());
        }

        Assert.Contains(pending, t => !t.IsCompleted);
        gate.SetResult();
        await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(20));
        await dispatcher.StopAsync();
        Assert.Equal(6, slow.Count);
    }

    [Fact]
    public async Task ARecordArrivingAfterStop_IsDeliveredInline()
    {
        var sink = new ListSink();
        await using var dispatcher = new BillingDispatcher([sink], NullLogger<BillingDispatcher>.Instance, capacity: 4);
        dispatcher.Start();
        await dispatcher.StopAsync();

        await dispatcher.EnqueueAsync(Record(7));

        Assert.Equal("req_7", Assert.Single(sink.Records).RequestId);
    }

    [Fact]
    public async Task RecordsQueuedByAnEmbedderThatNeverCallsStart_AreAllDeliveredByStop()
    {
        var sink = new ListSink();
        var dispatcher = new BillingDispatcher([sink], NullLogger<BillingDispatcher>.Instance, capacity: 2);

        for (int i = 0; i < 5; i++)
        {
            await dispatcher.EnqueueAsync(Record(i)); // more than the capacity: the first record started the loop
        }

        await dispatcher.StopAsync();

        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"req_{i}"), sink.Records.Select(r => r.RequestId));
    }

    [Fact]
    public async Task StopBeforeTheLoopEverRan_StillDeliversWhatWasQueued_AndStartAfterStopChangesNothing()
    {
        var sink = new ListSink();
        var dispatcher = new BillingDispatcher([sink], NullLogger<BillingDispatcher>.Instance, capacity: 4);

        await dispatcher.StopAsync();
        dispatcher.Start();
        await dispatcher.EnqueueAsync(Record(1));
        await dispatcher.DisposeAsync();

        Assert.Equal("req_1", Assert.Single(sink.Records).RequestId);
    }

    [Fact]
    public async Task ALateRecordDuringTheFinalDrain_WaitsItsTurn_SinksAreNeverCalledConcurrently()
    {
        var gate = new TaskCompletionSource();
        var sink = new ConcurrencyProbeSink(gate.Task);
        var dispatcher = new BillingDispatcher([sink], NullLogger<BillingDispatcher>.Instance, capacity: 8);
        for (int i = 0; i < 3; i++)
        {
            await dispatcher.EnqueueAsync(Record(i));
        }

        await sink.Entered.Task.WaitAsync(TimeSpan.FromSeconds(20)); // the loop is inside the sink with req_0
        Task stop = dispatcher.StopAsync();
        Task late = dispatcher.EnqueueAsync(Record(99)).AsTask();

        Assert.False(late.IsCompleted, "the late record was delivered while the loop was still in the sink");
        Assert.Equal(1, sink.MaxInFlight);
        gate.SetResult();
        await Task.WhenAll(stop, late).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(1, sink.MaxInFlight);
        Assert.Equal(["req_0", "req_1", "req_2", "req_99"], sink.Delivered.Order(StringComparer.Ordinal));
    }

    private static BillingRecord Record(int i) => new()
    {
        RequestId = $"req_{i}",
        Api = ApiKind.ChatCompletions,
        Provider = "p",
        RequestedModel = "p/m",
        UpstreamModel = "m",
        Streaming = false,
        Usage = TokenUsage.Missing,
        Outcome = ExchangeOutcome.Completed,
        EndedBy = EndedBy.Upstream,
        StartedAt = DateTimeOffset.UnixEpoch,
        Duration = TimeSpan.Zero,
    };

    private sealed class ThrowingSink : IBillingSink
    {
        public ValueTask WriteAsync(BillingRecord record, CancellationToken cancellationToken) => throw new IOException("sink down");
    }

    private sealed class ListSink : IBillingSink
    {
        public List<BillingRecord> Records { get; } = [];

        public ValueTask WriteAsync(BillingRecord record, CancellationToken cancellationToken)
        {
            Records.Add(record);
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Holds every call until the gate opens, and records how many calls were inside it at once.</summary>
    private sealed class ConcurrencyProbeSink(Task gate) : IBillingSink
    {
        private int _inFlight;
        private int _maxInFlight;

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int MaxInFlight => Volatile.Read(ref _maxInFlight);

        public System.Collections.Concurrent.ConcurrentQueue<string> Delivered { get; } = new();

        public async ValueTask WriteAsync(BillingRecord record, CancellationToken cancellationToken)
        {
            int now = Interlocked.Increment(ref _inFlight);
            int seen;
            while ((seen = Volatile.Read(ref _maxInFlight)) < now && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen)
            {
            }

            Entered.TrySetResult();
            await gate;
            Delivered.Enqueue(record.RequestId);
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private sealed class GatedSink(Task gate) : IBillingSink
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public async ValueTask WriteAsync(BillingRecord record, CancellationToken cancellationToken)
        {
            await gate;
            Interlocked.Increment(ref _count);
        }
    }
}
