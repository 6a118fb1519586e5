using Akka;
using Akka.Actor;
using AkkaProxy.Pipeline.Billing;
using Microsoft.Extensions.Logging;
using static AkkaProxy.Pipeline.Tests.Billing.BillingRecords;

namespace AkkaProxy.Pipeline.Tests.Billing;

/// <summary>The billing actor and its gateway: the promises BillingDispatcher made, kept on Akka.NET.</summary>
public sealed class BillingActorTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly ListLogger<BillingGateway> _log = new();

    public BillingActorTests(Xunit.Abstractions.ITestOutputHelper output)
        : base(Akka.Configuration.Config.Empty, "billing", output)
    {
    }

    private BillingGateway Gateway(int capacity, params IBillingSink[] sinks) => new(sinks, _log, capacity);

    [Fact]
    public async Task WhenDelivered_CompletesOnceTheRecordsHandedOverBeforeItHaveReachedTheSinks()
    {
        var sink = new ProbeSink(gated: true);
        BillingGateway gateway = Gateway(64, sink);
        gateway.Start(Sys);
        Assert.True(gateway.WhenDeliveredAsync(CancellationToken.None).IsCompleted); // nothing handed over

        for (int i = 0; i < 3; i++)
        {
            await gateway.EnqueueAsync(Record(i));
        }

        Task delivered = gateway.WhenDeliveredAsync(CancellationToken.None);
        await sink.Entered.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.False(delivered.IsCompleted); // the first record is held inside the sink
        await gateway.EnqueueAsync(Record(3)); // handed over after the call: not waited for

        sink.Open();
        await delivered.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(gateway.Delivered >= 3);
        await sink.WaitForCountAsync(4);
    }

    [Fact]
    public async Task RecordsReachTheSinksAndASubscriber_InTheOrderHandedOver()
    {
        var sink = new ProbeSink();
        BillingGateway gateway = Gateway(4, sink);
        IActorRef billing = gateway.Start(Sys);
        var subscriber = CreateTestProbe();
        billing.Tell(new BillingActor.Subscribe(subscriber.Ref), TestActor);
        await ExpectMsgAsync(new BillingActor.Subscribed(subscriber.Ref));

        for (int i = 0; i < 50; i++)
        {
            await gateway.EnqueueAsync(Record(i));
        }

        for (int i = 0; i < 50; i++)
        {
            BillingRecord told = await subscriber.ExpectMsgAsync<BillingRecord>();
            Assert.Equal($"req_{i}", told.RequestId);
            Assert.Equal(billing, subscriber.LastSender);
        }

        Assert.Equal(Ids(50), sink.Ids);
        Assert.Equal(50, gateway.Delivered);
    }

    [Fact]
    public async Task AFailingSink_IsLogged_FailsNoHandOver_AndTheOtherSinkStillGetsEveryRecord()
    {
        var good = new ProbeSink();
        BillingGateway gateway = Gateway(4, new ThrowingSink(), good);
        gateway.Start(Sys);

        for (int i = 0; i < 20; i++)
        {
            await gateway.EnqueueAsync(Record(i)); // no exception reaches the handler
        }

        await good.WaitForCountAsync(20);
        Assert.Equal(Ids(20), good.Ids);
        var errors = _log.Entries.Where(e => e.Level == LogLevel.Error).ToList();
        Assert.Equal(20, errors.Count);
        Assert.All(errors, e => Assert.IsType<IOException>(e.Exception));
        Assert.All(errors, e => Assert.Contains(nameof(ThrowingSink), e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task SinksAreCalledOneAtATime_WhoeverHandsRecordsOver()
    {
        var sink = new ProbeSink(gated: true);
        BillingGateway gateway = Gateway(64, sink);
        IActorRef billing = gateway.Start(Sys);
        var otherActor = CreateTestProbe();

        // Eight handlers and another actor hand records over while the first one is held inside the sink.
        Task[] handlers = [.. Enumerable.Range(0, 8).Select(h => Task.Run(async () =>
        {
            for (int i = 0; i < 5; i++)
            {
                await gateway.EnqueueAsync(Record((h * 5) + i));
            }
        }))];
        for (int i = 40; i < 45; i++)
        {
            otherActor.Send(billing, Record(i));
        }

        await Task.WhenAll(handlers);
        await sink.Entered.Task.WaitAsync(TimeSpan.FromSeconds(20));
        sink.Open();
        await sink.WaitForCountAsync(45);

        Assert.Equal(1, sink.MaxInFlight);
        Assert.Equal(Ids(45).Order(StringComparer.Ordinal), sink.Ids.Order(StringComparer.Ordinal));
        // Counted once the last sink returned, a moment after the sink saw the 45th record.
        await AwaitConditionAsync(() => Task.FromResult(gateway.Delivered == 45));
    }

    [Fact]
    public async Task AtCapacity_EnqueueAsyncWaits_ItNeverDropsARecord()
    {
        var sink = new ProbeSink(gated: true);
        BillingGateway gateway = Gateway(2, sink);
        gateway.Start(Sys);

        ValueTask[] handOvers = [.. Enumerable.Range(0, 6).Select(i => gateway.EnqueueAsync(Record(i)))];

        // Two credits: the first two records are handed over at once; the others wait for a record to reach the sinks.
        Assert.True(handOvers[0].IsCompletedSuccessfully);
        Assert.True(handOvers[1].IsCompletedSuccessfully);
        Assert.All(handOvers[2..], h => Assert.False(h.IsCompleted));
        sink.Open();
        foreach (ValueTask handOver in handOvers)
        {
            await handOver.AsTask().WaitAsync(TimeSpan.FromSeconds(20));
        }

        await sink.WaitForCountAsync(6);
        Assert.Equal(Ids(6).Order(StringComparer.Ordinal), sink.Ids.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task CoordinatedShutdown_WaitsUntilEveryRecordHandedOverReachedTheSinks()
    {
        ProbeSink sink = new(gated: true) { Observe = () => Sys.WhenTerminated.IsCompleted };
        BillingGateway gateway = Gateway(16, sink);
        gateway.Start(Sys);
        for (int i = 0; i < 10; i++)
        {
            await gateway.EnqueueAsync(Record(i));
        }

        await sink.Entered.Task.WaitAsync(TimeSpan.FromSeconds(20)); // the actor is inside the sink with req_0

        // The sink is released only once the drain's phase runs; the phase after it counts what arrived by then.
        CoordinatedShutdown shutdown = CoordinatedShutdown.Get(Sys);
        shutdown.AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "test-release-the-sink", () =>
        {
            sink.Open();
            return Task.FromResult(Done.Instance);
        });
        var afterTheDrain = new TaskCompletionSource<(long Delivered, bool LateWasInline)>(TaskCreationOptions.RunContinuationsAsynchronously);
        shutdown.AddTask(CoordinatedShutdown.PhaseActorSystemTerminate, "test-after-the-drain", async () =>
        {
            long delivered = gateway.Delivered;
            await gateway.EnqueueAsync(Record(10)); // after the drain: delivered before this completes
            afterTheDrain.TrySetResult((delivered, sink.Ids.Contains("req_10")));
            return Done.Instance;
        });

        await shutdown.Run(CoordinatedShutdown.UnknownReason.Instance).WaitAsync(TimeSpan.FromSeconds(20));

        (long deliveredByThen, bool lateWasInline) = await afterTheDrain.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(10, deliveredByThen);
        Assert.True(lateWasInline, "a record handed over after the drain was not delivered inline");
        Assert.Equal(Ids(11), sink.Ids);
        Assert.DoesNotContain(true, sink.Observed.Take(10)); // the drained records were written before the system terminated
    }

    [Fact]
    public async Task ARecordAfterTheActorSystemTerminated_IsDeliveredInline()
    {
        var sink = new ProbeSink();
        BillingGateway gateway = Gateway(4, sink);
        gateway.Start(Sys);
        await Sys.Terminate();

        await gateway.EnqueueAsync(Record(7));

        Assert.Equal(["req_7"], sink.Ids);
        Assert.Equal(1, gateway.Delivered);
    }

    [Fact]
    public async Task ALateRecordDuringTheDrain_WaitsItsTurn_SinksAreNeverCalledConcurrently()
    {
        var sink = new ProbeSink(gated: true);
        BillingGateway gateway = Gateway(8, sink);
        gateway.Start(Sys);
        for (int i = 0; i < 3; i++)
        {
            await gateway.EnqueueAsync(Record(i));
        }

        await sink.Entered.Task.WaitAsync(TimeSpan.FromSeconds(20)); // the actor is inside the sink with req_0
        Task drain = gateway.StopAsync();
        Task late = gateway.EnqueueAsync(Record(99)).AsTask();

        Assert.False(late.IsCompleted, "the late record was delivered while the actor was still in the sink");
        Assert.False(drain.IsCompleted);
        Assert.Equal(1, sink.MaxInFlight);
        sink.Open();
        await Task.WhenAll(drain, late).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(1, sink.MaxInFlight);
        Assert.Equal(["req_0", "req_1", "req_2", "req_99"], sink.Ids.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task RecordsHandedOverBeforeTheActorStarted_AreDeliveredOnceItStarts()
    {
        var sink = new ProbeSink();
        BillingGateway gateway = Gateway(8, sink);
        for (int i = 0; i < 3; i++)
        {
            await gateway.EnqueueAsync(Record(i));
        }

        Assert.Empty(sink.Ids);
        gateway.Start(Sys);

        await sink.WaitForCountAsync(3);
        Assert.Equal(Ids(3), sink.Ids);
    }

    [Fact]
    public async Task AnUnsubscribedActor_GetsNoMoreRecords_TheOthersStillDo()
    {
        BillingGateway gateway = Gateway(4, new ProbeSink());
        IActorRef billing = gateway.Start(Sys);
        var leaving = CreateTestProbe();
        var staying = CreateTestProbe();
        billing.Tell(new BillingActor.Subscribe(leaving.Ref), TestActor);
        await ExpectMsgAsync(new BillingActor.Subscribed(leaving.Ref));
        billing.Tell(new BillingActor.Subscribe(staying.Ref), TestActor);
        await ExpectMsgAsync(new BillingActor.Subscribed(staying.Ref));

        await gateway.EnqueueAsync(Record(0));
        Assert.Equal("req_0", (await leaving.ExpectMsgAsync<BillingRecord>()).RequestId);
        Assert.Equal("req_0", (await staying.ExpectMsgAsync<BillingRecord>()).RequestId);
        billing.Tell(new BillingActor.Unsubscribe(leaving.Ref), TestActor);
        await ExpectMsgAsync(new BillingActor.Unsubscribed(leaving.Ref));
        await gateway.EnqueueAsync(Record(1));

        // Subscribers are told in the order they subscribed: once the second has req_1, the first would have it too.
        Assert.Equal("req_1", (await staying.ExpectMsgAsync<BillingRecord>()).RequestId);
        await leaving.ExpectNoMsgAsync(TimeSpan.Zero);
    }

    [Fact]
    public async Task ActorBillingSink_TellsEachRecordToItsActor_InOrder()
    {
        var target = CreateTestProbe();
        BillingGateway gateway = Gateway(4, new ActorBillingSink(target.Ref));
        gateway.Start(Sys);

        for (int i = 0; i < 5; i++)
        {
            await gateway.EnqueueAsync(Record(i));
        }

        foreach (string id in Ids(5))
        {
            Assert.Equal(id, (await target.ExpectMsgAsync<BillingRecord>()).RequestId);
        }
    }

    [Fact]
    public void AGatewayStartsOneActor()
    {
        BillingGateway gateway = Gateway(4);
        gateway.Start(Sys);

        Assert.Throws<InvalidOperationException>(() => gateway.Start(Sys));
    }
}
