using Akka;
using Akka.Streams;
using Akka.Streams.Dsl;
using AkkaProxy.Pipeline.Actors;
using AkkaProxy.Pipeline.Streams;

namespace AkkaProxy.Pipeline.Supervision;

/// <summary>
/// One Responses WebSocket session's Akka.Streams graph, materialized once per socket, both
/// directions in it:
/// <code>
///   client socket ──▶ client source ──▶ ┌───────┐ ──▶ upstream sink ──▶ upstream socket
///                                       │ turns │
///   client socket ◀── client sink ◀── stages ◀── │       │ ◀── upstream source ◀── upstream socket
///                     (sends; ends     (usage tap, └───────┘
///                      each turn)       custom stages, flows)
/// </code>
/// Turns are state of the turn stage, not graphs of their own. One fused island with input buffers
/// of one: one message in flight per direction, so a side that reads nothing stops the other's reads.
/// The upstream socket is attached once dialled; until then its source and sink wait. The blueprint
/// (<see cref="Blueprint"/>) is built once per relay; each socket materializes it with its session
/// as an attribute.
/// </summary>
internal sealed class SessionGraph : IConnectionGraph
{
    private readonly Task[] _parts;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly WebSocketSession _session;
    private int _running;
    private int _failureTold;

    /// <param name="session">The session the graph's stages serve.</param>
    /// <param name="blueprint">The relay's <see cref="Blueprint"/>.</param>
    /// <param name="materializer">Runs it.</param>
    /// <remarks>
    /// Tells <paramref name="session"/> once, with the cause, as soon as a socket sink failed (the graph is
    /// torn down from there: <see cref="WebSocketSession.GraphFailed"/>), and once every stage has stopped and
    /// no read or send of a socket is in flight (<see cref="WebSocketSession.GraphStopped"/>).
    /// </remarks>
    public SessionGraph(WebSocketSession session, IRunnableGraph<(SocketSource.Control Client, SocketSource.Control Upstream, Task ClientSent, Task UpstreamSent)> blueprint, IMaterializer materializer)
    {
        (SocketSource.Control client, SocketSource.Control upstream, Task clientSent, Task upstreamSent) = blueprint
            .AddAttributes(new Attributes(new SocketSessionAttribute(session)))
            .Run(materializer);
        ClientSource = client;
        UpstreamSource = upstream;
        _session = session;
        // The sinks first: a failure is looked for there. One callback for the four parts, each holding it as
        // its only continuation: no continuation task, WhenAll promise or closure kept for the socket's life.
        _parts = [clientSent, upstreamSent, client.Stopped, upstream.Stopped];
        _running = _parts.Length;
        Action partDone = OnPartDone;
        foreach (Task part in _parts)
        {
            part.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(partDone);
        }
    }

    /// <summary>Reads the client's socket (attached at once).</summary>
    public SocketSource.Control ClientSource { get; }

    /// <summary>Reads the upstream's socket (attached once dialled).</summary>
    public SocketSource.Control UpstreamSource { get; }

    /// <summary>Completes when every stage has stopped and no read or send of a socket is in flight (faulted when a stage failed).</summary>
    public Task Stopped => _stopped.Task;

    private void OnPartDone()
    {
        // Runs as a bare thread-pool continuation: an exception escaping it would end the process, so the
        // session's callbacks are guarded, and Stopped completes whatever they do.
        for (int i = 0; i < 2; i++)
        {
            if (_parts[i].IsFaulted && Interlocked.Exchange(ref _failureTold, 1) == 0)
            {
                Tell(static (session, failure) => session.GraphFailed(failure!), _parts[i].Exception!.GetBaseException());
            }
        }

        if (Interlocked.Decrement(ref _running) != 0)
        {
            return;
        }

        Exception[] failures = [.. _parts.Where(part => part.IsFaulted).SelectMany(part => part.Exception!.InnerExceptions)];
        if (failures.Length > 0)
        {
            _stopped.TrySetException(failures);
        }
        else if (_parts.Any(part => part.IsCanceled))
        {
            _stopped.TrySetCanceled();
        }
        else
        {
            _stopped.TrySetResult();
        }

        Tell(static (session, _) => session.GraphStopped(), null);
    }

    private void Tell(Action<WebSocketSession, Exception?> callback, Exception? failure)
    {
        try
        {
            callback(_session, failure);
        }
        catch (Exception ex)
        {
            // A session's callback does not throw by design (it logs and ends the session); if one ever
            // does, the graph's end must still be reported and the process must not go down.
            try
            {
                _session.GraphCallbackFailed(ex);
            }
            catch (Exception)
            {
                // Nothing left to tell.
            }
        }
    }

    /// <summary>The graph every session materializes: immutable, shared; the session comes with each materialization.</summary>
    public static IRunnableGraph<(SocketSource.Control Client, SocketSource.Control Upstream, Task ClientSent, Task UpstreamSent)> Blueprint(Flow<ProxyFrame, ProxyFrame, NotUsed> stages, int maxMessageBytes, int bufferBytes)
    {
        var clientSource = new SocketSource("client-source", maxMessageBytes, bufferBytes);
        var upstreamSource = new SocketSource("upstream-source", maxMessageBytes, bufferBytes);
        return RunnableGraph.FromGraph(
            GraphDsl.Create(clientSource, upstreamSource, new ClientSocketSink(), new SocketSink("upstream-sink"), (a, b, c, d) => (a, b, c, d), (builder, fromClient, fromUpstream, toClient, toUpstream) =>
            {
                var turns = builder.Add(new TurnStage());
                builder.From(fromClient).To(turns.Inlet1);
                builder.From(turns.Outlet1).To(toUpstream);
                builder.From(fromUpstream).To(turns.Inlet2);
                builder.From(turns.Outlet2).Via(stages).To(toClient);
                return ClosedShape.Instance;
            }))
            // On the relay's dispatcher (its compact mailbox for the interpreter): the relay registers it in
            // its system before it materializes a session (WebSocketRelay).
            .WithAttributes(Attributes.CreateInputBuffer(1, 1).And(RelayDispatcher.GraphAttribute));
    }

    /// <summary>Stops both sources (each once its read in progress is done); everything after them completes.</summary>
    public void Shutdown()
    {
        ClientSource.Shutdown();
        UpstreamSource.Shutdown();
    }
}
