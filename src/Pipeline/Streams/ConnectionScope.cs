namespace AkkaProxy.Pipeline.Streams;

/// <summary>
/// The graphs of one client connection, kept from its first relayed request until it closes. An
/// HTTP/1.1 connection serves one request at a time, so it materializes one graph and reuses it for
/// every request; HTTP/2 streams that run at once each take a graph of their own, which is kept for
/// the connection's later streams. A graph that failed is never reused.
/// </summary>
/// <remarks>Thread-safe.</remarks>
internal sealed class ConnectionScope : IDisposable
{
    /// <summary>The key of the scope in the connection's items.</summary>
    public static readonly object Key = typeof(ConnectionScope);

    private readonly Stack<ConnectionGraph> _idle = new();
    private readonly Lock _gate = new();
    private bool _closed;

    /// <summary>An idle graph of this connection, or a new one from <paramref name="create"/>.</summary>
    public ConnectionGraph Rent(Func<ConnectionGraph> create)
    {
        lock (_gate)
        {
            while (_idle.TryPop(out ConnectionGraph? graph))
            {
                if (graph.IsRunning)
                {
                    return graph;
                }
            }
        }

        return create();
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

    /// <summary>The connection closed: every idle graph stops.</summary>
    public void Dispose()
    {
        ConnectionGraph[] idle;
        lock (_gate)
        {
            _closed = true;
            idle = [.. _idle];
            _idle.Clear();
        }

        foreach (ConnectionGraph graph in idle)
        {
            graph.Shutdown();
        }
    }
}
