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
