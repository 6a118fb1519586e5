using Akka.Actor;
using Akka.Event;
using AkkaProxy.Pipeline.Actors;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Diagnostics;
using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Streams;

namespace AkkaProxy.Pipeline.Supervision;

/// <summary>
/// The supervisor actor of one client connection (or WebSocket session), and the one owner of its
/// exchanges' lifecycle and billing:
/// <code>
///   first relayed request ──▶ scope + this actor (one per connection)
///   ExchangeOpened(run)   ──▶ the exchange reached its graph: it is open
///   ExchangeEnded(run, v) ──▶ the side that saw the end says how (v); open or never seen → billed now, once
///                             already billed (the connection stopped first) → nothing, the credit goes back
///   Emit(record)          ──▶ a record nothing can contest (a refused WebSocket turn): handed over in order
///   GraphStarted(graph)   ──▶ a WebSocket session's graph, watched (an HTTP graph, pooled across connections,
///                             names its owner itself: ConnectionGraph.Owner)
///   GraphFailed           ──▶ the connection's graphs stop (the handlers see their pumps fail and report
///                             their exchanges' ends, billed as they say); idle ones go back to the pool
///   Close                 ──▶ the connection closed: what is still open is billed as aborted; the actor stops
///   PostStop              ──▶ (the actor system stopping) what is still open is billed as ended by shutdown
/// </code>
/// Every billing record of the connection's exchanges is made here, on this actor's thread, so billing is
/// exactly once by construction: one writer, and each exchange's end is decided by whichever message
/// reached the actor first. A handler tells and goes on (no <c>Ask</c>); the messages of one handler arrive
/// in the order it sent them, so an exchange's end is always seen before the connection's close.
/// </summary>
internal sealed class ConnectionSupervisor : UntypedActor
{
    private readonly ConnectionScope _scope;
    private readonly IRecordOutlet _outlet;
    private readonly PricingTable _pricing;
    private readonly TimeProvider _time;
    private readonly ConnectionCounters _counters;
    private readonly HashSet<ProxyRun> _open = [];
    private ILoggingAdapter? _log;
    private bool _closed;

    public ConnectionSupervisor(ConnectionScope scope, IRecordOutlet outlet, PricingTable pricing, TimeProvider time, ConnectionCounters counters)
    {
        _scope = scope;
        _outlet = outlet;
        _pricing = pricing;
        _time = time;
        _counters = counters;
    }

    // An untyped actor with one switch, not a ReceiveActor: a ReceiveActor builds its handler table for
    // every instance, and there is one instance per connection (measured: --supervisor-probe in bench/).
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case ExchangeOpened opened:
                _open.Add(opened.Run);
                break;
            case ExchangeEnded ended:
                OnExchangeEnded(ended);
                break;
            case Emit emit:
                _outlet.Emit(emit.Record, holdsCredit: false);
                _counters.EndHandled();
                break;
            case GraphStarted started:
                OnGraphStarted(started);
                break;
            case GraphFailed failed:
                OnGraphFailed(failed);
                break;
            case Close:
                OnClose();
                break;
            case GraphsStopped:
                OnGraphsStopped();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private ILoggingAdapter Log => _log ??= Context.GetLogger();

    /// <summary>How long a closed connection waits for its graphs to stop before it bills what is still open.</summary>
    internal static readonly TimeSpan GraphStopTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Starts the supervisor of a connection under <c>/user/akkaproxy/connections</c> of <paramref name="system"/>; it counts as open from now until its PostStop.</summary>
    /// <param name="system">The actor system.</param>
    /// <param name="scope">The connection's scope: its graphs.</param>
    /// <param name="outlet">Where its records go.</param>
    /// <param name="pricing">Prices.</param>
    /// <param name="time">The clock.</param>
    /// <param name="counters">Counts supervisors alive.</param>
    public static IActorRef Start(ActorSystem system, ConnectionScope scope, IRecordOutlet outlet, PricingTable pricing, TimeProvider time, ConnectionCounters counters)
    {
        counters.ConnectionOpened();
        // A producer, not Props.Create(() => new …): the expression form evaluates its argument expressions
        // for every connection (measured: --supervisor-probe in bench/, docs/benchmarks.md).
        return RelayActors.SpawnUnder(RelayActors.For(system).Connections, Props.CreateBy(new Producer(scope, outlet, pricing, time, counters)).WithDispatcher(RelayDispatcher.Id));
    }

    protected override void PostStop()
    {
        if (!_closed)
        {
            // Stopped without the connection's close: the actor system is stopping under it.
            BillOpen(ExchangeOutcome.Failed, EndedBy.Shutdown);
        }

        _ = _scope.ShutDown();
        _counters.ConnectionClosed();
    }

    private void OnExchangeEnded(ExchangeEnded ended)
    {
        try
        {
            EndExchange(ended);
        }
        finally
        {
            _counters.EndHandled();
        }
    }

    private void EndExchange(ExchangeEnded ended)
    {
        ProxyExchange exchange = ended.Run.Exchange;
        _open.Remove(ended.Run);
        if (exchange.Billed)
        {
            // Another end arrived first (the connection's close, or the session's end racing the turn's own)
            // and was billed: the first end the supervisor hears of decides.
            Log.Debug("Exchange {0} was billed when its connection stopped; its later end ({1}) is not billed again.", exchange.RequestId, ended.Verdict.ErrorCode ?? ended.Verdict.Outcome.ToString());
            if (ended.HoldsCredit)
            {
                _outlet.ReturnCredit();
            }

            return;
        }

        ExchangeVerdict verdict = ended.Verdict;
        Bill(exchange, verdict.Outcome, verdict.EndedBy, verdict.Status, verdict.ErrorCode, ended.HoldsCredit);
    }

    private void OnGraphStarted(GraphStarted started)
    {
        // Only a failure is told back: a graph that stops normally (shut down when the connection closed)
        // sends nothing, so no message waits for an actor that has already stopped.
        IActorRef self = Self;
        IConnectionGraph graph = started.Graph;
        _ = graph.Stopped.ContinueWith(
            (stopped, state) => ((IActorRef)state!).Tell(new GraphFailed(stopped.Exception?.GetBaseException())),
            self, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void OnGraphFailed(GraphFailed failed)
    {
        // A failed connection is stopped, never resumed: its graphs stop, no new exchange starts on it.
        // The handlers see their pumps fail and tell how their exchanges ended; the actor waits for the
        // connection's close, billing each end as it arrives.
        Log.Warning("A graph of the connection failed; the connection takes no more exchanges: {0}", failed.Failure?.Message);
        _ = _scope.ShutDown();
    }

    private void OnClose()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        Task graphsStopped = _scope.ShutDown();
        if (_open.Count == 0)
        {
            Context.Stop(Self); // the usual close: every exchange has ended and was billed
            return;
        }

        // One side's end ends the other: the connection closed with exchanges still open, so their graphs
        // are shut down, and the actor waits until they have stopped (their handlers' ends may still
        // arrive meanwhile, and are billed as they say) so that what it bills is what the graph read,
        // not what a live graph is still writing.
        graphsStopped.WaitAsync(GraphStopTimeout).PipeTo(Self, success: () => GraphsStopped.Instance, failure: _ => GraphsStopped.Instance);
    }

    private void OnGraphsStopped()
    {
        BillOpen(ExchangeOutcome.ClientAborted, EndedBy.Client);
        Context.Stop(Self);
    }

    /// <summary>Bills every exchange still open, as ended by <paramref name="endedBy"/>, with the usage its graph read.</summary>
    private void BillOpen(ExchangeOutcome outcome, EndedBy endedBy)
    {
        foreach (ProxyRun run in _open)
        {
            // Its handler never reported an end: the hooks run here, once (Complete is idempotent).
            _ = run.Complete();
            Bill(run.Exchange, outcome, endedBy, null, "connection_stopped", holdsCredit: false);
        }

        _open.Clear();
    }

    private void Bill(ProxyExchange exchange, ExchangeOutcome outcome, EndedBy endedBy, int? status, string? errorCode, bool holdsCredit)
    {
        exchange.Billed = true;
        BillingRecord record = BillingRecordFactory.Create(exchange, _pricing, outcome, endedBy, status, errorCode, _time.GetUtcNow());
        ExchangeTracing.Stop(exchange, record);
        _outlet.Emit(record, holdsCredit);
    }

    /// <summary>Makes the connection's supervisor with a plain constructor call.</summary>
    private sealed class Producer(ConnectionScope scope, IRecordOutlet outlet, PricingTable pricing, TimeProvider time, ConnectionCounters counters) : IIndirectActorProducer
    {
        public Type ActorType => typeof(ConnectionSupervisor);

        public ActorBase Produce() => new ConnectionSupervisor(scope, outlet, pricing, time, counters);

        public void Release(ActorBase actor)
        {
        }
    }

    /// <summary>An exchange of this connection reached its graph (an HTTP request's pump, a WebSocket turn opened).</summary>
    internal sealed record ExchangeOpened(ProxyRun Run);

    /// <summary>
    /// An exchange ended, as <paramref name="Verdict"/> says; its stages' completion hooks have run.
    /// <paramref name="HoldsCredit"/>: the sender reserved room in billing for its record.
    /// </summary>
    internal sealed record ExchangeEnded(ProxyRun Run, ExchangeVerdict Verdict, bool HoldsCredit);

    /// <summary>A record of the connection that nothing can contest (a refused or failed-to-dial WebSocket turn): emitted in order with the others.</summary>
    internal sealed record Emit(BillingRecord Record);

    /// <summary>A graph was materialized for this connection: the actor watches it.</summary>
    internal sealed record GraphStarted(IConnectionGraph Graph);

    /// <summary>The connection closed.</summary>
    internal sealed record Close
    {
        public static Close Instance { get; } = new();
    }

    private sealed record GraphsStopped
    {
        public static GraphsStopped Instance { get; } = new();
    }
}
