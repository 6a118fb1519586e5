using AkkaProxy.Hosting.Billing;
using AkkaProxy.Host.Tests.Ledger;
using AkkaProxy.Pipeline.Billing;

namespace AkkaProxy.Host.Tests.Admin;

/// <summary>The live feed's fan-out: a bounded buffer per subscriber, drops counted per subscriber, never a wait.</summary>
public sealed class LiveRecordsSinkTests
{
    [Fact]
    public async Task ASubscriberThatDoesNotRead_LosesWhatDoesNotFit_AndIsToldHowMany_WhileOthersGetEverything()
    {
        var sink = new LiveRecordsSink(bufferPerSubscriber: 4);
        using LiveSubscription slow = sink.Subscribe();
        using LiveSubscription reader = sink.Subscribe();
        var read = new List<string>();

        for (int i = 0; i < 10; i++)
        {
            ValueTask write = sink.WriteAsync(LedgerRecords.Record($"r{i}"), CancellationToken.None);
            Assert.True(write.IsCompletedSuccessfully); // billing never waits for a page
            while (reader.Records.TryRead(out BillingRecord? record))
            {
                read.Add(record.RequestId);
            }
        }

        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"r{i}"), read);
        Assert.Equal(0, reader.TakeDropped());
        Assert.Equal(6, slow.TakeDropped());
        Assert.Equal(0, slow.TakeDropped()); // taken once
        var kept = new List<string>();
        while (slow.Records.TryRead(out BillingRecord? record))
        {
            kept.Add(record.RequestId);
        }

        Assert.Equal(["r0", "r1", "r2", "r3"], kept); // the oldest kept, in order; the rest dropped and counted
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Disposing_Unsubscribes_AndEndsTheRecords()
    {
        var sink = new LiveRecordsSink(bufferPerSubscriber: 8);
        LiveSubscription subscription = sink.Subscribe();
        Assert.Equal(1, sink.Subscribers);

        subscription.Dispose();
        await sink.WriteAsync(LedgerRecords.Record("after"), CancellationToken.None);

        Assert.Equal(0, sink.Subscribers);
        Assert.False(await subscription.Records.WaitToReadAsync()); // completed, and nothing written after leaving
    }
}
