using Akka.Actor;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Diagnostics;
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
    private readonly bool _stopsOnGraphFailure;
    private EndedBy _stoppedBy = EndedBy.Client;

    public ConnectionSupervisor(ConnectionScope scope, Func<BillingRecord, ValueTask> bill, PricingTable pricing, TimeProvider time, ConnectionCounters counters, bool stopsOnGraphFailure = true)
    {
        _stopsOnGraphFailure = stopsOnGraphFailure;
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
    /// <param name="actors">Where the actor is created.</param>
    /// <param name="scope">The connection's scope: its graphs and ledger.</param>
    /// <param name="bill">Hands a record to billing.</param>
    /// <param name="pricing">Prices.</param>
    /// <param name="time">The clock.</param>
    /// <param name="counters">Counts supervisors alive.</param>
    /// <param name="stopsOnGraphFailure">
    /// True for an HTTP connection: a failed graph stops the supervisor at once. False for a WebSocket
    /// session, which closes both sockets itself when its graph fails (1011), bills its open turns
    /// with the turn's own codes and hooks, and then closes its scope; the supervisor stops then, and
    /// bills only what the session could not.
    /// </param>
    public static IActorRef Start(IActorRefFactory actors, ConnectionScope scope, Func<BillingRecord, ValueTask> bill, PricingTable pricing, TimeProvider time, ConnectionCounters counters, bool stopsOnGraphFailure = true)
    {
        counters.ConnectionOpened();
        return actors.ActorOf(Props.Create(() => new ConnectionSupervisor(scope, bill, pricing, time, counters, stopsOnGraphFailure)));
    }

    protected override void PostStop()
    {
        foreach (ProxyExchange exchange in _scope.TakeOpen())
        {
            if (exchange.TryClaimBilling())
            {
                ExchangeOutcome outcome = _stoppedBy == EndedBy.Client ? ExchangeOutcome.ClientAborted : ExchangeOutcome.Failed;
                BillingRecord record = BillingRecordFactory.Create(exchange, _pricing, outcome, _stoppedBy, null, "connection_stopped", _time.GetUtcNow());
                ExchangeTracing.Stop(exchange, record);
                _ = _bill(record);
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
            if (_stopsOnGraphFailure)
            {
                Context.Stop(Self);
            }
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
