using System.IO.Pipelines;
using System.Text;
using Akka.Actor;
using Akka.Event;
using Akka.Streams;
using Akka.TestKit;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Streams;
using AkkaProxy.Pipeline.Supervision;
using AkkaProxy.Pipeline.Tests.TestKit;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Tests.Supervision;

/// <summary>The connection supervisor actor: the one writer of its exchanges' records, billed exactly once whoever ends an exchange first.</summary>
public sealed class ConnectionSupervisorSpecs : Akka.TestKit.Xunit2.TestKit
{
    private const string Created = "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_1\",\"model\":\"gpt-4o\"}}\n\n";
    private const string Completed = "event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":1,\"response\":{\"id\":\"resp_1\",\"model\":\"gpt-4o\",\"status\":\"completed\",\"usage\":{\"input_tokens\":11,\"output_tokens\":7}}}\n\n";

    private readonly ProxyStreamFactory _factory = new ProxyStreamBuilder().Build();
    private readonly ConnectionCounters _counters = new();
    private readonly TestProbe _billing;
    private readonly ProbeOutlet _outlet;
    private int _nextId;

    public ConnectionSupervisorSpecs() : base("akka.loglevel = WARNING")
    {
        _billing = CreateTestProbe("billing");
        _outlet = new ProbeOutlet(_billing.Ref);
    }

    [Fact]
    public void AnExchangeOpenWhenTheConnectionCloses_IsBilledOnceAsAborted()
    {
        (IActorRef supervisor, ConnectionScope scope, ConnectionGraph graph) = Start();
        ProxyRun run = NewRun();
        supervisor.Tell(new ConnectionSupervisor.ExchangeOpened(run));
        Watch(supervisor);

        scope.Dispose(); // the connection closed before the exchange's end was reported
        ExpectTerminated(supervisor);

        BillingRecord record = _billing.ExpectMsg<BillingRecord>();
        Assert.Equal(run.Exchange.RequestId, record.RequestId);
        Assert.Equal(ExchangeOutcome.ClientAborted, record.Outcome);
        Assert.Equal(EndedBy.Client, record.EndedBy);
        Assert.Equal("connection_stopped", record.ErrorCode);
        _billing.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        AwaitCondition(() => !graph.IsRunning && _counters.OpenConnections == 0 && _counters.RunningGraphs == 0);
    }

    [Fact]
    public void AnExchangeWhoseEndArrivesBeforeTheClose_IsBilledAsItsHandlerSaid_AndNotAgain()
    {
        (IActorRef supervisor, ConnectionScope scope, _) = Start();
        ProxyRun run = NewRun();
        supervisor.Tell(new ConnectionSupervisor.ExchangeOpened(run));
        supervisor.Tell(new ConnectionSupervisor.ExchangeEnded(run, new ExchangeVerdict(ExchangeOutcome.Completed, EndedBy.Upstream, 200, null), HoldsCredit: true));
        Watch(supervisor);

        scope.Dispose();
        ExpectTerminated(supervisor);

        BillingRecord record = _billing.ExpectMsg<BillingRecord>();
        Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
        Assert.Equal(EndedBy.Upstream, record.EndedBy);
        Assert.True(_outlet.LastHeldCredit);
        _billing.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void ASecondEndOfTheSameExchange_IsNotBilled_AndItsCreditGoesBack()
    {
        (IActorRef supervisor, ConnectionScope scope, _) = Start();
        ProxyRun run = NewRun();
        supervisor.Tell(new ConnectionSupervisor.ExchangeOpened(run));
        var verdict = new ExchangeVerdict(ExchangeOutcome.Completed, EndedBy.Upstream, 200, null);
        supervisor.Tell(new ConnectionSupervisor.ExchangeEnded(run, verdict, HoldsCredit: false));
        supervisor.Tell(new ConnectionSupervisor.ExchangeEnded(run, verdict with { Outcome = ExchangeOutcome.ClientAborted }, HoldsCredit: true));
        Watch(supervisor);
        scope.Dispose();
        ExpectTerminated(supervisor);

        Assert.Equal(ExchangeOutcome.Completed, _billing.ExpectMsg<BillingRecord>().Outcome);
        _billing.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(1, _outlet.CreditsReturned);
    }

    [Fact]
    public async Task TheGraphsEndAndTheConnectionsClose_Race_EachExchangeIsBilledExactlyOnce_WithWhatItsGraphRead()
    {
        const int rounds = 40;
        var ids = new List<string>();
        for (int round = 0; round < rounds; round++)
        {
            (IActorRef supervisor, ConnectionScope scope, ConnectionGraph graph) = Start();
            ProxyRun run = NewRun();
            ids.Add(run.Exchange.RequestId);
            supervisor.Tell(new ConnectionSupervisor.ExchangeOpened(run));
            Watch(supervisor);
            var upstream = new Pipe();
            var client = new Pipe();
            Task<PumpResult> pump = graph.PumpAsync(run, upstream.Reader, client.Writer, FrameKind.SseEvent, null, TimeProvider.System, CancellationToken.None);
            await upstream.Writer.WriteAsync(Encoding.UTF8.GetBytes(Created));

            // The upstream finishes (and its handler reports the end) while the connection closes: two
            // threads, one supervisor.
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Task handler = Task.Run(async () =>
            {
                await start.Task;
                await upstream.Writer.WriteAsync(Encoding.UTF8.GetBytes(Completed));
                await upstream.Writer.CompleteAsync();
                ExchangeVerdict verdict;
                try
                {
                    PumpResult result = await pump;
                    verdict = result == PumpResult.UpstreamEnded
                        ? new ExchangeVerdict(ExchangeOutcome.Completed, EndedBy.Upstream, 200, null)
                        : new ExchangeVerdict(ExchangeOutcome.ClientAborted, EndedBy.Client, 200, "client_closed_request");
                }
                catch (Exception)
                {
                    // The graph was shut down under it: the connection closed first.
                    verdict = new ExchangeVerdict(ExchangeOutcome.ClientAborted, EndedBy.Client, 200, "client_closed_request");
                }

                _ = run.Complete();
                supervisor.Tell(new ConnectionSupervisor.ExchangeEnded(run, verdict, HoldsCredit: false));
            });
            Task closer = Task.Run(async () =>
            {
                await start.Task;
                scope.Dispose();
            });
            start.SetResult();
            await Task.WhenAll(handler, closer);
            ExpectTerminated(supervisor);
        }

        var records = new List<BillingRecord>();
        for (int i = 0; i < rounds; i++)
        {
            records.Add(_billing.ExpectMsg<BillingRecord>());
        }

        _billing.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Assert.Equal(ids.Order(StringComparer.Ordinal), records.Select(r => r.RequestId).Order(StringComparer.Ordinal));
        foreach (BillingRecord record in records)
        {
            if (record.Outcome == ExchangeOutcome.Completed)
            {
                Assert.Equal(UsageStatus.Reported, record.Usage.Status);
                Assert.Equal((11, 7), (record.Usage.InputTokens, record.Usage.OutputTokens));
            }
            else
            {
                // Billed after its graph stopped: whatever the tap had read, whole (the completed event's
                // usage, or none of it), never half-written.
                Assert.Equal(ExchangeOutcome.ClientAborted, record.Outcome);
                Assert.True(record.Usage.Status == UsageStatus.Reported
                    ? (record.Usage.InputTokens, record.Usage.OutputTokens) == (11, 7)
                    : (record.Usage.InputTokens, record.Usage.OutputTokens) == (0, 0));
            }
        }
    }

    [Fact]
    public async Task AGraphThatFails_StopsTheConnectionsGraphs_AndTheHandlersEndIsBilledAsItSaid()
    {
        ProxyStreamFactory failing = new ProxyStreamBuilder()
            .MapResponseFrames((ProxyExchange _, ref ResponseFrame _) => throw new InvalidOperationException("stage bug"))
            .Build();
        (IActorRef supervisor, ConnectionScope scope, ConnectionGraph graph) = Start(failing);
        ProxyRun run = NewRun(failing);
        supervisor.Tell(new ConnectionSupervisor.ExchangeOpened(run));
        Watch(supervisor);

        byte[] stream = Encoding.UTF8.GetBytes(Created);
        Task<PumpResult> pump = graph.PumpAsync(run, new ScriptedReader(stream, [stream.Length]), new Pipe().Writer, FrameKind.SseEvent, null, TimeProvider.System, CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(() => pump.WaitAsync(TimeSpan.FromSeconds(10)));
        AwaitCondition(() => scope.IsClosed); // the connection takes no more exchanges
        Assert.Throws<InvalidOperationException>(() => scope.Rent(() => throw new InvalidOperationException("no new graph"), out _));

        // The handler saw its pump fail and says so; the supervisor bills that, then stops at the close.
        supervisor.Tell(new ConnectionSupervisor.ExchangeEnded(run, new ExchangeVerdict(ExchangeOutcome.Failed, EndedBy.Relay, 500, "relay_internal_error"), HoldsCredit: true));
        BillingRecord record = _billing.ExpectMsg<BillingRecord>();
        Assert.Equal(ExchangeOutcome.Failed, record.Outcome);
        Assert.Equal(EndedBy.Relay, record.EndedBy);
        Assert.Equal("relay_internal_error", record.ErrorCode);
        scope.Dispose();
        ExpectTerminated(supervisor);
        _billing.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task AHundredExchangesAndTheirConnectionsClosing_LeaveNoDeadLetter()
    {
        TestProbe deadLetters = CreateTestProbe();
        Sys.EventStream.Subscribe(deadLetters.Ref, typeof(DeadLetter));
        for (int i = 0; i < 100; i++)
        {
            (IActorRef supervisor, ConnectionScope scope, ConnectionGraph graph) = Start();
            ProxyRun run = NewRun();
            byte[] stream = Encoding.UTF8.GetBytes(Created + Completed);
            supervisor.Tell(new ConnectionSupervisor.ExchangeOpened(run));
            PumpResult result = await graph.PumpAsync(run, new ScriptedReader(stream, [stream.Length]), new Pipe().Writer, FrameKind.SseEvent, null, TimeProvider.System, CancellationToken.None);
            Assert.Equal(PumpResult.UpstreamEnded, result);
            scope.Return(graph);
            supervisor.Tell(new ConnectionSupervisor.ExchangeEnded(run, new ExchangeVerdict(ExchangeOutcome.Completed, EndedBy.Upstream, 200, null), HoldsCredit: true));
            Watch(supervisor);
            scope.Dispose();
            ExpectTerminated(supervisor);
            Assert.Equal(ExchangeOutcome.Completed, _billing.ExpectMsg<BillingRecord>().Outcome);
        }

        AwaitCondition(() => _counters.RunningGraphs == 0 && _counters.OpenConnections == 0);
        deadLetters.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    private ProxyRun NewRun(ProxyStreamFactory? factory = null)
    {
        Assert.True(Exchanges.Router.TryResolve("openai/gpt-4o", out ProviderRoute route, out _));
        var exchange = new ProxyExchange($"req_{Interlocked.Increment(ref _nextId)}", ApiKind.Responses, route, "{}"u8.ToArray(), isStreaming: true, DateTimeOffset.UnixEpoch);
        return (factory ?? _factory).CreateRun(exchange);
    }

    private (IActorRef Supervisor, ConnectionScope Scope, ConnectionGraph Graph) Start(ProxyStreamFactory? factory = null)
    {
        factory ??= _factory;
        var scope = new ConnectionScope();
        IMaterializer materializer = Sys.Materializer();
        IActorRef supervisor = scope.Supervisor(s => ConnectionSupervisor.Start(Sys, s, _outlet, PricingTable.Empty, TimeProvider.System, _counters));
        ConnectionGraph graph = scope.Rent(() => new ConnectionGraph(factory, materializer, _counters), out _);
        supervisor.Tell(new ConnectionSupervisor.GraphStarted(graph));
        return (supervisor, scope, graph);
    }

    /// <summary>Records go to the probe; credits given back are counted.</summary>
    private sealed class ProbeOutlet(IActorRef probe) : IRecordOutlet
    {
        private int _returned;

        public int CreditsReturned => Volatile.Read(ref _returned);

        public bool LastHeldCredit { get; private set; }

        public void Emit(BillingRecord record, bool holdsCredit)
        {
            LastHeldCredit = holdsCredit;
            probe.Tell(record);
        }

        public void ReturnCredit() => Interlocked.Increment(ref _returned);
    }
}
