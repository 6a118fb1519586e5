using Akka.Actor;
using Akka.Dispatch.MessageQueues;
using Akka.Streams;
using AkkaProxy.Pipeline.Actors;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Streams;
using AkkaProxy.Pipeline.Supervision;
using Microsoft.Extensions.Logging.Abstractions;

namespace AkkaProxy.Pipeline.Tests.Actors;

/// <summary>
/// The mailbox of the relay's per-connection actors: first in, first out under many writers, nothing
/// kept once drained, and in use by the connection supervisors and the graphs' interpreters.
/// </summary>
public sealed class CompactMailboxSpecs : Akka.TestKit.Xunit2.TestKit
{
    public CompactMailboxSpecs() : base("akka.loglevel = WARNING")
    {
    }

    [Fact]
    public void Messages_LeaveInTheOrderTheyCame_AcrossGrowthAndWrap_AndADrainedQueueLetsItsRingGo()
    {
        var queue = new CompactMessageQueue();
        Assert.Equal(0, queue.Capacity); // an actor that was never sent anything holds no array
        int next = 0, expected = 0;
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < 3; i++)
            {
                queue.Enqueue(ActorRefs.Nobody, new Envelope(next++, ActorRefs.NoSender));
            }

            Assert.True(queue.TryDequeue(out Envelope first));
            Assert.Equal(expected++, first.Message); // the head moves, so the next writes wrap around the ring
            for (int i = 0; i < 20; i++)
            {
                queue.Enqueue(ActorRefs.Nobody, new Envelope(next++, ActorRefs.NoSender));
            }

            Assert.Equal(22, queue.Count);
            while (queue.TryDequeue(out Envelope envelope))
            {
                Assert.Equal(expected++, envelope.Message);
            }

            Assert.False(queue.HasMessages);
            Assert.Equal(0, queue.Capacity); // the burst's grown ring is gone with the burst
        }

        queue.Enqueue(ActorRefs.Nobody, new Envelope("one", ActorRefs.NoSender));
        Assert.True(queue.TryDequeue(out _));
        Assert.Equal(CompactMessageQueue.KeptSlots, queue.Capacity); // a small ring stays for the next message
    }

    [Fact]
    public async Task ManyWriters_OneReader_EveryMessageOnce_EachWritersInItsOrder()
    {
        const int writers = 4, perWriter = 20_000;
        var queue = new CompactMessageQueue();
        using var start = new Barrier(writers + 1);
        Task[] writing = Enumerable.Range(0, writers).Select(w => Task.Run(() =>
        {
            start.SignalAndWait();
            for (int i = 0; i < perWriter; i++)
            {
                queue.Enqueue(ActorRefs.Nobody, new Envelope((w, i), ActorRefs.NoSender));
            }
        })).ToArray();
        Task<int[]> reading = Task.Run(() =>
        {
            int[] nextOf = new int[writers];
            int received = 0;
            start.SignalAndWait();
            while (received < writers * perWriter)
            {
                if (queue.TryDequeue(out Envelope envelope))
                {
                    (int w, int i) = ((int, int))envelope.Message;
                    Assert.Equal(nextOf[w], i);
                    nextOf[w] = i + 1;
                    received++;
                }
            }

            return nextOf;
        });

        await Task.WhenAll(writing).WaitAsync(TimeSpan.FromSeconds(60));
        int[] counts = await reading.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.All(counts, count => Assert.Equal(perWriter, count));
        Assert.False(queue.TryDequeue(out _));
    }

    [Fact]
    public void CleanUp_GivesWhatIsLeftToTheDeadLetters_InOrder()
    {
        var queue = new CompactMessageQueue();
        var dead = new UnboundedMessageQueue();
        queue.Enqueue(ActorRefs.Nobody, new Envelope("a", ActorRefs.NoSender));
        queue.Enqueue(ActorRefs.Nobody, new Envelope("b", ActorRefs.NoSender));

        queue.CleanUp(ActorRefs.Nobody, dead);

        Assert.True(dead.TryDequeue(out Envelope a));
        Assert.True(dead.TryDequeue(out Envelope b));
        Assert.Equal(("a", "b"), (a.Message, b.Message));
        Assert.False(queue.HasMessages);
    }

    [Fact]
    public async Task AConnectionsSupervisor_AndItsGraphsInterpreter_HaveTheCompactMailbox()
    {
        var gateway = new BillingGateway([], NullLogger<BillingGateway>.Instance);
        var scope = new ConnectionScope();
        IActorRef supervisor = scope.Supervisor(s => ConnectionSupervisor.Start(Sys, s, new RecordOutlet(gateway, null), PricingTable.Empty, TimeProvider.System, new ConnectionCounters()));
        Assert.IsType<CompactMessageQueue>(MessageQueueOf(supervisor));

        ActorMaterializer materializer = Sys.Materializer(namePrefix: "compact-mailbox-spec");
        var graph = new ConnectionGraph(new ProxyStreamBuilder().Build(), materializer);
        IActorRef interpreter = await InterpreterAsync("compact-mailbox-spec");
        Assert.IsType<CompactMessageQueue>(MessageQueueOf(interpreter));

        graph.Shutdown();
        await graph.Stopped.WaitAsync(TimeSpan.FromSeconds(10));
        Watch(supervisor);
        scope.Dispose();
        ExpectTerminated(supervisor);
    }

    private static IMessageQueue MessageQueueOf(IActorRef actor) =>
        ((ActorCell)((ActorRefWithCell)actor).Underlying).Mailbox!.MessageQueue;

    /// <summary>The one interpreter actor of the graphs of the materializer named <paramref name="prefix"/>.</summary>
    private async Task<IActorRef> InterpreterAsync(string prefix)
    {
        ActorIdentity identity = await Sys.ActorSelection($"/user/*/{prefix}-*").Ask<ActorIdentity>(new Identify(prefix), TimeSpan.FromSeconds(10));
        return identity.Subject ?? throw new InvalidOperationException($"No interpreter actor named {prefix}-* was found.");
    }
}
