using Akka.Actor;
using AkkaProxy.Pipeline.Streams;

namespace AkkaProxy.Pipeline.Supervision;

/// <summary>
/// What one client connection holds from its first relayed request until it closes: its supervisor
/// actor (which owns its exchanges and their billing, see <see cref="ConnectionSupervisor"/>) and its
/// graphs. An HTTP/1.1 connection serves one request at a time, so it materializes one
/// graph and reuses it for every request; HTTP/2 streams that run at once each take a graph of their
/// own, which is kept for the connection's later streams. A graph that failed is never reused.
/// </summary>
/// <remarks>Thread-safe.</remarks>
internal sealed class ConnectionScope : IDisposable
{
    /// <summary>The key of the scope in the connection's items.</summary>
    public static readonly object Key = typeof(ConnectionScope);

    private readonly Stack<ConnectionGraph> _idle = new();
    private readonly List<IConnectionGraph> _all = [];
    private readonly Lock _gate = new();
    private IActorRef? _supervisor;
    private ConnectionGraphPool? _pool;
    private bool _closed;
    private bool _disposed;
    private int _inFlight;
    private bool _closeWhenIdle;

    /// <summary>Whether the connection stopped (its supervisor stopped, or it closed): it takes no more exchanges.</summary>
    public bool IsClosed
    {
        get
        {
            lock (_gate)
            {
                return _closed;
            }
        }
    }

    /// <summary>The connection's supervisor, made by <paramref name="create"/> on first use.</summary>
    /// <remarks>The lock guards only the scope's own fields (its supervisor, its graphs); the exchanges and their ends are the supervisor's.</remarks>
    public IActorRef Supervisor(Func<ConnectionScope, IActorRef> create)
    {
        lock (_gate)
        {
            return _supervisor ??= create(this);
        }
    }

    /// <summary>
    /// An idle graph of this connection, or one from the relay's <paramref name="pool"/> (idle graphs go
    /// back there when the connection closes); <paramref name="isNew"/>: new to this connection.
    /// </summary>
    public ConnectionGraph Rent(ConnectionGraphPool pool, out bool isNew)
    {
        lock (_gate)
        {
            _pool ??= pool;
        }

        return Rent(pool.Renter, out isNew);
    }

    /// <summary>An idle graph of this connection, or a new one from <paramref name="create"/>; <paramref name="isNew"/> says which.</summary>
    public ConnectionGraph Rent(Func<ConnectionGraph> create, out bool isNew)
    {
        lock (_gate)
        {
            if (_closed)
            {
                // Its supervisor stopped (a graph failed) or the connection closed: no new graph here.
                throw new InvalidOperationException("The connection has stopped and takes no more exchanges.");
            }

            while (_idle.TryPop(out ConnectionGraph? graph))
            {
                if (graph.IsRunning)
                {
                    isNew = false;
                    return graph;
                }
            }

            isNew = true;
            ConnectionGraph created = create();
            _all.Add(created);
            return created;
        }
    }

    /// <summary>Takes a graph that is not pooled (a WebSocket session's) into the scope: it is shut down with the others.</summary>
    public void Adopt(IConnectionGraph graph)
    {
        bool closed;
        lock (_gate)
        {
            closed = _closed;
            if (!closed)
            {
                _all.Add(graph);
            }
        }

        if (closed)
        {
            graph.Shutdown();
        }
    }

    /// <summary>Gives a graph back once its exchange has ended; a stopped graph, or any graph after the connection closed, is shut down instead.</summary>
    public void Return(ConnectionGraph graph)
    {
        lock (_gate)
        {
            if (!_closed && graph.IsRunning)
            {
                _idle.Push(graph);
                return;
            }
        }

        graph.Shutdown();
    }

    /// <summary>Shuts every graph of the connection down (its supervisor does, when the connection closes or a graph fails).</summary>
    /// <returns>Completes once every one of them has stopped (failed or not): nothing writes to their exchanges any more.</returns>
    public Task ShutDown()
    {
        IConnectionGraph[] all;
        ConnectionGraph[] idle;
        ConnectionGraphPool? pool;
        lock (_gate)
        {
            _closed = true;
            pool = _pool;
            idle = pool is null ? [] : [.. _idle];
            var busy = new List<IConnectionGraph>(_all.Count);
            foreach (IConnectionGraph graph in _all)
            {
                if (graph is not ConnectionGraph pooled || Array.IndexOf(idle, pooled) < 0)
                {
                    busy.Add(graph);
                }
            }

            all = [.. busy];
            _all.Clear();
            _idle.Clear();
        }

        foreach (ConnectionGraph graph in idle)
        {
            pool!.Return(graph); // idle and well: the next connection's
        }

        if (all.Length == 0)
        {
            return Task.CompletedTask;
        }

        var stopped = new Task[all.Length];
        for (int i = 0; i < all.Length; i++)
        {
            all[i].Shutdown();
            stopped[i] = all[i].Stopped;
        }

        // A graph's failure was the supervisor's business already; here only "stopped" matters.
        return Task.WhenAll(stopped).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>An exchange of the connection begins; <see cref="ExitExchange"/> when its handler is done.</summary>
    public void EnterExchange()
    {
        lock (_gate)
        {
            _inFlight++;
        }
    }

    /// <summary>An exchange's handler is done; the last one out closes the scope when the connection closed meanwhile.</summary>
    public void ExitExchange()
    {
        bool close;
        lock (_gate)
        {
            _inFlight--;
            close = _closeWhenIdle && _inFlight == 0;
        }

        if (close)
        {
            Dispose();
        }
    }

    /// <summary>
    /// The connection closed (its server said so): the scope closes once no exchange of it is in a
    /// handler any more, as when the connection middleware's pipeline returns. An exchange still
    /// running ends on its own signals (the request's abort) and is billed as it ended.
    /// </summary>
    public void CloseWhenIdle()
    {
        bool close;
        lock (_gate)
        {
            _closeWhenIdle = true;
            close = _inFlight == 0;
        }

        if (close)
        {
            Dispose();
        }
    }

    /// <summary>The connection closed: its supervisor stops (and shuts the graphs down); without one, the graphs stop here.</summary>
    public void Dispose()
    {
        IActorRef? supervisor;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _closed = true;
            supervisor = _supervisor;
        }

        if (supervisor is null)
        {
            _ = ShutDown();
        }
        else
        {
            supervisor.Tell(ConnectionSupervisor.Close.Instance);
        }
    }
}
