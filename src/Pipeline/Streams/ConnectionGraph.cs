using System.IO.Pipelines;
using Akka;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using AkkaProxy.Pipeline.Actors;
using AkkaProxy.Pipeline.Stages;

namespace AkkaProxy.Pipeline.Streams;

/// <summary>
/// One client connection's Akka.Streams graph, materialized once and used by its exchanges one after
/// another, both directions in it:
/// <code>
///   request side:
///   request source ──▶ model rewrite ──▶ include-usage ──▶ [custom request hooks, request flows] ──▶ request sink
///   (the exchange's    (outermost)                        (in the order added)                        (the request goes
///    request)                                                                                            upstream: the handler sends it)
///   response side:
///   upstream source ──▶ frame decoder ──▶ usage tap ──▶ [custom stages, flows] ──▶ include-usage ──▶ client sink
///   (the exchange's     (SSE events or    (innermost)    (in reverse order         (a stage with no frame hook,     (writes, flushes,
///    PipeReader; also    a body chunk;                    added)                    like the model rewrite,          reports each
///    the kill switch)    flush points)                                              takes no place)                  exchange's end)
/// </code>
/// The graph is one fused island (one materialization, one interpreter for both sides): no async
/// boundary, no buffer, so one element is in flight at a time and the sink's demand is the only demand:
/// a client that reads nothing stops the upstream reads. A failure of either side stops both.
/// </summary>
/// <remarks>One exchange at a time; the graph stops for good when a stage fails or on <see cref="Shutdown"/>.</remarks>
internal sealed class ConnectionGraph : IConnectionGraph
{
    private readonly UpstreamSource.Control _control;
    private readonly RequestSource.Control _requests;
    private readonly Task _requestsStopped;
    private readonly Task _responsesStopped;
    private int _shutDown;
    private readonly Action<ExchangeBinding> _release;
    private readonly ProxyStreamFactory _factory;
    private ExchangeBinding? _current;

    public ConnectionGraph(ProxyStreamFactory factory, IMaterializer materializer, ConnectionCounters? counters = null)
    {
        _factory = factory;
        (RequestSource.Control requests, Task requestsStopped, UpstreamSource.Control control, Task responsesStopped) =
            RunnableGraph.FromGraph(GraphDsl.Create(
                Source.FromGraph(new RequestSource()).Via(factory.RequestStages).WatchTermination(Keep.Both),
                Source.FromGraph(new UpstreamSource()),
                Flow.Create<UpstreamRead>()
                    .Via(new FrameDecoderStage(factory.Options.MaxEventBytes, factory.InnerStages))
                    .Via(factory.ResponseStages)
                    .ToMaterialized(new ClientSink(), Keep.Right),
                (request, upstream, client) => (request.Item1, request.Item2, upstream, client),
                (builder, requestSide, upstream, client) =>
                {
                    builder.From(requestSide.Outlet).To(builder.Add(new RequestSink()).Inlet);
                    builder.From(upstream.Outlet).To(client.Inlet);
                    return ClosedShape.Instance;
                }))
            // No read-ahead anywhere: the buffer in front of any async boundary holds one element, not
            // Akka's default 16 (user flows with one are refused at build time; see UserFlowCheck).
            .WithAttributes(Attributes.CreateInputBuffer(1, 1).And(RelayDispatcher.For(materializer)))
            .Run(materializer);
        _release = binding => Interlocked.CompareExchange(ref _current, null, binding);
        _control = control;
        _requests = requests;
        _requestsStopped = requestsStopped;
        _responsesStopped = responsesStopped;
        // One side's end ends the other: the connection's graph is stopped once both are, and failed if either failed.
        _ = requestsStopped.ContinueWith(static (_, g) => ((ConnectionGraph)g!).Shutdown(), this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        _ = responsesStopped.ContinueWith(static (_, g) => ((ConnectionGraph)g!).Shutdown(), this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        Task stopped = Task.WhenAll(requestsStopped, responsesStopped);
        Stopped = stopped;
        counters?.GraphStarted();
        _ = stopped.ContinueWith(
            (task, state) =>
            {
                var graph = (ConnectionGraph)state!;
                graph.OnStopped(task);
                if (task.IsFaulted)
                {
                    graph.Owner?.Tell(new GraphFailed(task.Exception?.GetBaseException())); // only a failure: a normal stop tells nobody
                }

                counters?.GraphStopped();
            },
            this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>
    /// The supervisor of the connection using the graph now (a pooled graph moves between connections):
    /// told <see cref="GraphFailed"/> if the graph fails. Null while the graph is idle in the pool.
    /// </summary>
    internal IActorRef? Owner
    {
        get => Volatile.Read(ref _owner);
        set => Volatile.Write(ref _owner, value);
    }

    private IActorRef? _owner;

    /// <summary>Completes when the graph has stopped (faulted when a stage failed).</summary>
    public Task Stopped { get; }

    /// <summary>Whether the graph can take another exchange.</summary>
    public bool IsRunning => !Stopped.IsCompleted;

    /// <summary>
    /// Passes one exchange's request through the request side (the model rewrite, include-usage, the custom
    /// request hooks and flows, in order); completes when it may go upstream, or faults with what a
    /// stage threw (nothing goes upstream then).
    /// </summary>
    public Task PrepareAsync(ProxyRun run)
    {
        if (Stopped.IsCompleted)
        {
            throw new InvalidOperationException("The connection's graph has stopped; the connection cannot take another exchange.", Stopped.Exception?.GetBaseException());
        }

        var request = new RequestBinding(run);
        run.Exchange.Request = request;
        _requests.Attach(request);
        if (Stopped.IsCompleted)
        {
            request.Fail(new InvalidOperationException("The connection's graph stopped.")); // in between: nothing would answer
        }

        return request.Done;
    }

    /// <summary>
    /// Relays one exchange's upstream body to its client through the graph; completes when the graph
    /// is done with both (the reader and writer are the caller's again). Throws what the upstream read
    /// or the client flush threw, as the pump of one exchange would.
    /// </summary>
    public Task<PumpResult> PumpAsync(ProxyRun run, PipeReader upstream, PipeWriter client, FrameKind framing, ActivityTimeout? activity, TimeProvider time, CancellationToken cancellationToken)
    {
        if (Stopped.IsCompleted)
        {
            throw new InvalidOperationException("The connection's graph has stopped; the connection cannot take another exchange.", Stopped.Exception?.GetBaseException());
        }

        if (!ReferenceEquals(run.Factory, _factory))
        {
            throw new ArgumentException("The run was created by another factory than the one this graph was built from.", nameof(run));
        }

        var binding = new ExchangeBinding(run, upstream, client, framing, activity, time, cancellationToken, _release);
        if (Interlocked.CompareExchange(ref _current, binding, null) is not null)
        {
            throw new InvalidOperationException("The connection's graph is already relaying an exchange.");
        }

        if (Stopped.IsCompleted)
        {
            OnStopped(Stopped); // stopped in between: the exchange must not wait for a graph that is gone
        }

        _control.Attach(binding);
        return binding.Done.Task;
    }

    /// <summary>Stops the graph (the connection closed); an exchange still attached ends with an error.</summary>
    public void Shutdown()
    {
        // Once, and only the sides still running: a callback into a stopped stage would be a dead letter.
        if (Interlocked.Exchange(ref _shutDown, 1) != 0)
        {
            return;
        }

        if (!_requestsStopped.IsCompleted)
        {
            _requests.Shutdown();
        }

        if (!_responsesStopped.IsCompleted)
        {
            _control.Shutdown();
        }
    }

    /// <summary>The graph's kill switch (the connection's supervisor owns it, through this graph).</summary>
    public IKillSwitch KillSwitch => _control;

    private void OnStopped(Task stopped)
    {
        Exception failure = stopped.Exception?.GetBaseException() ?? new InvalidOperationException("The connection's graph stopped.");
        Volatile.Read(ref _current)?.Fail(failure);
    }
}
