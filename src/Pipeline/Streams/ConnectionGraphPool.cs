using System.Collections.Concurrent;

namespace AkkaProxy.Pipeline.Streams;

/// <summary>
/// Idle connection graphs of one relay, kept across connections: a connection that closes gives its
/// idle graphs back here, and a new connection takes one instead of materializing its own. A client
/// without keep-alive (a connection per request) then pays no materialization (tens of microseconds
/// and tens of kilobytes each), only a rent. Bounded: past <see cref="Capacity"/> a returned graph is
/// shut down. A graph holds no state between exchanges, so one connection's graph serves the next
/// connection as it serves the connection's next request.
/// </summary>
/// <remarks>Thread-safe.</remarks>
internal sealed class ConnectionGraphPool(Func<ConnectionGraph> create, int capacity)
{
    private readonly ConcurrentStack<ConnectionGraph> _idle = new();
    private int _count;

    /// <summary><see cref="Rent"/> as a delegate, made once (a method group converted per request allocates one each time).</summary>
    public Func<ConnectionGraph> Renter => field ??= Rent;

    /// <summary>How many idle graphs the pool keeps at most.</summary>
    public int Capacity { get; } = capacity;

    /// <summary>Idle graphs kept now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>An idle running graph, or a new one.</summary>
    public ConnectionGraph Rent()
    {
        while (_idle.TryPop(out ConnectionGraph? graph))
        {
            Interlocked.Decrement(ref _count);
            if (graph.IsRunning)
            {
                return graph;
            }
        }

        return create();
    }

    /// <summary>Keeps an idle graph for the next connection; one that stopped, or one past the capacity, is shut down.</summary>
    public void Return(ConnectionGraph graph)
    {
        graph.Owner = null;
        if (!graph.IsRunning)
        {
            return;
        }

        if (Interlocked.Increment(ref _count) > Capacity)
        {
            Interlocked.Decrement(ref _count);
            graph.Shutdown();
            return;
        }

        _idle.Push(graph);
    }
}
