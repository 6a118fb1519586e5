using Akka.Actor;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Streams;

namespace AkkaProxy.Pipeline.Supervision;

/// <summary>
/// The supervisor actor of one client connection:
/// <code>
///   connection opens ──▶ first relayed request: scope + this actor (one per connection)
///   each exchange    ──▶ opened … ended (who ended it), in the scope's ledger ──▶ billed once, by the handler
///   each new graph   ──▶ GraphStarted: the actor watches it
///   a graph fails    ──▶ the actor stops: the connection is never resumed
///   connection closes──▶ Close ──▶ the actor stops
///   PostStop         ──▶ every exchange still open is billed as aborted; every graph is shut down
/// </code>
/// It owns the connection's graphs (their kill switches) through its <see cref="ConnectionScope"/>,
/// which also keeps the connection's ledger: the exchanges open, and who ended the last ones. The
/// handlers write the ledger under the scope's lock rather than telling the actor twice per request
/// (measured: those two messages cost a short exchange a few percent); the actor reads it when it stops.
/// Billing is exactly once by construction: the handler and this actor both claim an exchange's
/// record first (<see cref="ProxyExchange.TryClaimBilling"/>), and only the one that wins tells billing.
/// </summary>
internal sealed class ConnectionSupervisor : ReceiveActor
{
    private readonly ConnectionScope _scope;
    private readonly Func<BillingRecord, ValueTask> _bill;
    private readonly PricingTable _pricing;
    private readonly TimeProvider _time;
    private readonly ConnectionCounters _counters;
    private EndedBy _stoppedBy = EndedBy.Client;

    public ConnectionSupervisor(ConnectionScope scope, Func<BillingRecord, ValueTask> bill, PricingTable pricing, TimeProvider time, ConnectionCounters counters)
    {
        _scope = scope;
        _bill = bill;
        _pricing = pricing;
        _time = time;
        _counters = counters;
        Receive<GraphStarted>(OnGraphStarted);
        Receive<GraphStopped>(OnGraphStopped);
        Receive<Close>(_ => Context.Stop(Self));
    }

    /// <summary>Starts the supervisor of a connection; it counts as open from now until its PostStop.</summary>
    public static IActorRef Start(IActorRefFactory actors, ConnectionScope scope, Func<BillingRecord, ValueTask> bill, PricingTable pricing, TimeProvider time, ConnectionCounters counters)
    {
        counters.ConnectionOpened();
        return actors.ActorOf(Props.Create(() => new ConnectionSupervisor(scope, bill, pricing, time, counters)));
    }

    protected override void PostStop()
    {
        foreach (ProxyExchange exchange in _scope.TakeOpen())
        {
            if (exchange.TryClaimBilling())
            {
                ExchangeOutcome outcome = _stoppedBy == EndedBy.Client ? ExchangeOutcome.ClientAborted : ExchangeOutcome.Failed;
                _ = _bill(BillingRecordFactory.Create(exchange, _pricing, outcome, _stoppedBy, null, "connection_stopped", _time.GetUtcNow()));
            }
        }

        _scope.ShutDown();
        _counters.ConnectionClosed();
    }

    private void OnGraphStarted(GraphStarted started)
    {
        IConnectionGraph graph = started.Graph;
        graph.Stopped.PipeTo(Self, success: () => new GraphStopped(graph, null), failure: ex => new GraphStopped(graph, ex));
    }

    private void OnGraphStopped(GraphStopped stopped)
    {
        if (stopped.Failure is not null)
        {
            // A failed connection is stopped, never resumed: what it still had open is billed as aborted.
            _stoppedBy = EndedBy.Relay;
            Context.Stop(Self);
        }
    }

    /// <summary>A graph was materialized for this connection: the actor watches it, and stops if it fails.</summary>
    internal sealed record GraphStarted(IConnectionGraph Graph);

    /// <summary>The connection closed.</summary>
    internal sealed record Close
    {
        public static Close Instance { get; } = new();
    }

    private sealed record GraphStopped(IConnectionGraph Graph, Exception? Failure);
}
