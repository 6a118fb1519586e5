namespace AkkaProxy.Pipeline.Pooling;

/// <summary>
/// What a <see cref="SocketPoolActor"/> knows of its sockets, made once per pool and handed to every
/// incarnation of the actor: a restart after a failure keeps the sockets it has leased out, the ones
/// idle, its waiters and its counts, so <c>max-sockets</c> still holds and no caller loses its socket.
/// </summary>
/// <remarks>Touched only by the pool's actor, one message at a time.</remarks>
internal sealed class SocketPoolState
{
    /// <summary>Open sockets nobody holds.</summary>
    public List<PooledSocket> Idle { get; } = [];

    /// <summary>Sockets leased out: disposed if the pool stops for good before they come back.</summary>
    public HashSet<PooledSocket> Out { get; } = [];

    /// <summary>Callers waiting for a socket, first come first served.</summary>
    public LinkedList<SocketPoolActor.Lease> Waiting { get; } = new();

    /// <summary>Cancels dials in progress when the pool stops for good.</summary>
    public CancellationTokenSource Stopping { get; } = new();

    public int Leased { get; set; }

    public int Dialing { get; set; }

    public int NextId { get; set; }

    public bool Closed { get; set; }
}
