using Akka.Actor;
using Akka.Streams;
using Akka.TestKit;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Streams;
using AkkaProxy.Pipeline.Supervision;
using AkkaProxy.Pipeline.Tests.TestKit;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Tests.Supervision;

/// <summary>The connection supervisor actor: billed exactly once, whoever ends an exchange first.</summary>
public sealed class ConnectionSupervisorSpecs : Akka.TestKit.Xunit2.TestKit
{
    private readonly ProxyStreamFactory _factory = new ProxyStreamBuilder().Build();
    private readonly ConnectionCounters _counters = new();
    private readonly TestProbe _billing;

    public ConnectionSupervisorSpecs() : base("akka.loglevel = WARNING") => _billing = CreateTestProbe("billing");

    [Fact]
    public void AnExchangeOpenWhenTheConnectionCloses_IsBilledOnceAsAborted_AndTheHandlerCannotBillItAgain()
    {
        (IActorRef supervisor, ConnectionScope scope, ConnectionGraph graph) = Start();
        ProxyExchange exchange = Exchanges.Create(ApiKind.Responses, "{}", streaming: true);
        scope.Opened(exchange);
        Watch(supervisor);

        scope.Dispose(); // the connection closed
        ExpectTerminated(supervisor);

        BillingRecord record = _billing.ExpectMsg<BillingRecord>();
        Assert.Equal(exchange.RequestId, record.RequestId);
        Assert.Equal(ExchangeOutcome.ClientAborted, record.Outcome);
        Assert.Equal(EndedBy.Client, record.EndedBy);
        Assert.Equal("connection_stopped", record.ErrorCode);
        Assert.False(exchange.TryClaimBilling()); // the handler, finishing late, loses the claim
        _billing.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        AwaitCondition(() => !graph.IsRunning && _counters.OpenConnections == 0 && _counters.RunningGraphs == 0);
    }

    [Fact]
    public void AnExchangeTheHandlerEnded_IsNotBilledAgain_WhenTheConnectionCloses()
    {
        (IActorRef supervisor, ConnectionScope scope, ConnectionGraph graph) = Start();
        ProxyExchange exchange = Exchanges.Create(ApiKind.Responses, "{}", streaming: true);
        scope.Opened(exchange);
        Assert.True(exchange.TryClaimBilling()); // the handler billed it
        scope.Ended(exchange, EndedBy.Upstream);
        Assert.Equal([(exchange.RequestId, EndedBy.Upstream)], scope.Ends);
        Watch(supervisor);

        scope.Dispose();
        ExpectTerminated(supervisor);

        _billing.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task BothSidesEndingAtOnce_BillOnce()
    {
        (IActorRef supervisor, ConnectionScope scope, ConnectionGraph graph) = Start();
        ProxyExchange exchange = Exchanges.Create(ApiKind.Responses, "{}", streaming: true);
        scope.Opened(exchange);
        Watch(supervisor);

        // The handler claims while the connection closes; whoever wins, one record exists.
        bool handlerWon = false;
        Task handler = Task.Run(() => handlerWon = exchange.TryClaimBilling());
        scope.Dispose();
        await handler;
        ExpectTerminated(supervisor);

        if (handlerWon)
        {
            _billing.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        }
        else
        {
            _billing.ExpectMsg<BillingRecord>(r => r.RequestId == exchange.RequestId);
            _billing.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        }
    }

    [Fact]
    public async Task AGraphThatFails_StopsTheConnection_AndWhatWasOpenIsBilledAsFailedByTheRelay()
    {
        ProxyStreamFactory failing = new ProxyStreamBuilder()
            .MapResponseFrames((ProxyExchange _, ref ResponseFrame _) => throw new InvalidOperationException("stage bug"))
            .Build();
        (IActorRef supervisor, ConnectionScope scope, ConnectionGraph graph) = Start(failing);
        ProxyExchange exchange = Exchanges.Create(ApiKind.Responses, "{}", streaming: true);
        ProxyRun run = failing.CreateRun(exchange);
        scope.Opened(exchange);
        Watch(supervisor);

        byte[] stream = "data: {\"type\":\"response.created\"}\n\n"u8.ToArray();
        Task<PumpResult> pump = graph.PumpAsync(run, new ScriptedReader(stream, [stream.Length]), new System.IO.Pipelines.Pipe().Writer, FrameKind.SseEvent, null, TimeProvider.System, CancellationToken.None);

        ExpectTerminated(supervisor);
        BillingRecord record = _billing.ExpectMsg<BillingRecord>();
        Assert.Equal(ExchangeOutcome.Failed, record.Outcome);
        Assert.Equal(EndedBy.Relay, record.EndedBy);
        await Assert.ThrowsAsync<InvalidOperationException>(() => pump.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    private (IActorRef Supervisor, ConnectionScope Scope, ConnectionGraph Graph) Start(ProxyStreamFactory? factory = null)
    {
        factory ??= _factory;
        var scope = new ConnectionScope();
        IMaterializer materializer = Sys.Materializer();
        IActorRef probe = _billing.Ref;
        IActorRef supervisor = scope.Supervisor(s => ConnectionSupervisor.Start(Sys, s, record =>
        {
            probe.Tell(record);
            return ValueTask.CompletedTask;
        }, PricingTable.Empty, TimeProvider.System, _counters));
        ConnectionGraph graph = scope.Rent(() => new ConnectionGraph(factory, materializer, _counters), out _);
        supervisor.Tell(new ConnectionSupervisor.GraphStarted(graph));
        return (supervisor, scope, graph);
    }
}
