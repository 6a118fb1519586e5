using Akka.Actor;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Streams;

namespace AkkaProxy.Pipeline.Supervision;

/// <summary>
/// The supervisor actor of one client connection:
/// <code>
///   connection opens ──▶ first relayed request: scope + this actor (one per connection)
///   each exchange    ──▶ Opened (its graph)  …  Ended (who ended it) ──▶ billed once, by the handler
///   a graph fails    ──▶ the actor stops: the connection is never resumed
///   connection closes──▶ Close ──▶ the actor stops
///   PostStop         ──▶ every exchange still open is billed as aborted; every graph is shut down
/// </code>
/// It owns the connection's graphs (their kill switches) through its <see cref="ConnectionScope"/>.
/// Billing is exactly once by construction: the handler and this actor both claim an exchange's
/// record first (<see cref="ProxyExchange.TryClaimBilling"/>), and only the one that wins tells billing.
/// </summary>
internal sealed class ConnectionSupervisor : ReceiveActor
{
    private const int EndsKept = 32;

    private readonly ConnectionScope _scope;
    private readonly Func<BillingRecord, ValueTask> _bill;
    private readonly PricingTable _pricing;
    private readonly TimeProvider _time;
    private readonly ConnectionCounters _counters;
    private readonly Dictionary<string, ProxyExchange> _open = new(StringComparer.Ordinal);
    private readonly Queue<(string RequestId, EndedBy EndedBy)> _ends = new();
    private EndedBy _stoppedBy = EndedBy.Client;

    public ConnectionSupervisor(ConnectionScope scope, Func<BillingRecord, ValueTask> bill, PricingTable pricing, TimeProvider time, ConnectionCounters counters)
    {
        _scope = scope;
        _bill = bill;
        _pricing = pricing;
        _time = time;
        _counters = counters;
        Receive<Opened>(OnOpened);
        Receive<Ended>(OnEnded);
        Receive<GraphStopped>(OnGraphStopped);
        Receive<Close>(_ => Context.Stop(Self));
    }

    /// <summary>Starts the supervisor of a connection; it counts as open from now until its PostStop.</summary>
    public static IActorRef Start(IActorRefFactory actors, ConnectionScope scope, Func<BillingRecord, ValueTask> bill, PricingTable pricing, TimeProvider time, ConnectionCounters counters)
    {
        counters.ConnectionOpened();
        return actors.ActorOf(Props.Create(() => new ConnectionSupervisor(scope, bill, pricing, time, counters)));
    }

    /// <summary>Who ended the exchanges of this connection, the latest last (at most <c>EndsKept</c>).</summary>
    internal IReadOnlyCollection<(string RequestId, EndedBy EndedBy)> Ends => _ends;

    protected override void PostStop()
    {
        foreach (ProxyExchange exchange in _open.Values)
        {
            if (exchange.TryClaimBilling())
            {
                ExchangeOutcome outcome = _stoppedBy == EndedBy.Client ? ExchangeOutcome.ClientAborted : ExchangeOutcome.Failed;
                _ = _bill(BillingRecordFactory.Create(exchange, _pricing, outcome, _stoppedBy, null, "connection_stopped", _time.GetUtcNow()));
            }
        }

        _open.Clear();
        _scope.ShutDown();
        _counters.ConnectionClosed();
    }

    private void OnOpened(Opened opened)
    {
        _open[opened.Exchange.RequestId] = opened.Exchange;
        if (opened.FirstUseOfGraph)
        {
            ConnectionGraph graph = opened.Graph;
            graph.Stopped.PipeTo(Self, success: () => new GraphStopped(graph, null), failure: ex => new GraphStopped(graph, ex));
        }
    }

    private void OnEnded(Ended ended)
    {
        _open.Remove(ended.Exchange.RequestId);
        _ends.Enqueue((ended.Exchange.RequestId, ended.EndedBy));
        if (_ends.Count > EndsKept)
        {
            _ends.Dequeue();
        }
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

    /// <summary>An exchange started on <paramref name="Graph"/> (<paramref name="FirstUseOfGraph"/>: the graph is new to this connection).</summary>
    internal sealed record Opened(ProxyExchange Exchange, ConnectionGraph Graph, bool FirstUseOfGraph);

    /// <summary>The handler finished an exchange (and billed it, if it won the claim).</summary>
    internal sealed record Ended(ProxyExchange Exchange, EndedBy EndedBy);

    /// <summary>The connection closed.</summary>
    internal sealed record Close
    {
        public static Close Instance { get; } = new();
    }

    private sealed record GraphStopped(ConnectionGraph Graph, Exception? Failure);
}
