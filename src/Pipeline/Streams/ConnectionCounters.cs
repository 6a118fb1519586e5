namespace AkkaProxy.Pipeline.Streams;

/// <summary>Live connection supervisors and running connection graphs of one relay: what a leak check or a gauge reads.</summary>
public sealed class ConnectionCounters
{
    private long _connections;
    private long _graphs;
    private long _materialized;
    private long _ends;

    internal ConnectionCounters()
    {
    }

    /// <summary>Connection supervisor actors alive.</summary>
    public long OpenConnections => Interlocked.Read(ref _connections);

    /// <summary>Connection graphs materialized and not yet stopped.</summary>
    public long RunningGraphs => Interlocked.Read(ref _graphs);

    /// <summary>Connection graphs materialized so far: one per keep-alive connection, one per request without keep-alive.</summary>
    public long GraphsMaterialized => Interlocked.Read(ref _materialized);

    /// <summary>
    /// Ends and records told to a supervisor and not yet handled by it: once this is 0, every exchange
    /// whose end was reported has its record handed to billing (what a test waits for).
    /// </summary>
    internal long EndsInFlight => Interlocked.Read(ref _ends);

    internal void EndTold() => Interlocked.Increment(ref _ends);

    internal void EndHandled() => Interlocked.Decrement(ref _ends);

    internal void ConnectionOpened() => Interlocked.Increment(ref _connections);

    internal void ConnectionClosed() => Interlocked.Decrement(ref _connections);

    internal void GraphStarted()
    {
        Interlocked.Increment(ref _materialized);
        Interlocked.Increment(ref _graphs);
    }

    internal void GraphStopped() => Interlocked.Decrement(ref _graphs);
}
