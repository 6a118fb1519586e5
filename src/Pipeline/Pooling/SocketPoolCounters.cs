namespace AkkaProxy.Pipeline.Pooling;

/// <summary>What the upstream socket pools did, over all pools; read by the host's metrics. Thread-safe.</summary>
internal sealed class SocketPoolCounters
{
    private long _opened;
    private long _closed;
    private long _expired;
    private long _broken;
    private long _affinityHits;
    private long _affinityMisses;
    private long _fallbacks;

    /// <summary>Sockets dialled and opened.</summary>
    public long Opened => Interlocked.Read(ref _opened);

    /// <summary>Sockets closed or discarded, for any reason.</summary>
    public long Closed => Interlocked.Read(ref _closed);

    /// <summary>Sockets open now (idle or leased).</summary>
    public long Open => Opened - Closed;

    /// <summary>Sockets closed because they reached their lifetime.</summary>
    public long Expired => Interlocked.Read(ref _expired);

    /// <summary>Sockets found broken at the start of a turn (a failed send or first read) and replaced.</summary>
    public long Broken => Interlocked.Read(ref _broken);

    /// <summary>Requests with a <c>previous_response_id</c> that got the socket holding that response.</summary>
    public long AffinityHits => Interlocked.Read(ref _affinityHits);

    /// <summary>Requests with a <c>previous_response_id</c> that got another socket.</summary>
    public long AffinityMisses => Interlocked.Read(ref _affinityMisses);

    /// <summary>Requests that went over HTTP instead because no socket could carry them before any event.</summary>
    public long Fallbacks => Interlocked.Read(ref _fallbacks);

    internal void SocketOpened() => Interlocked.Increment(ref _opened);

    internal void SocketClosed() => Interlocked.Increment(ref _closed);

    internal void SocketExpired() => Interlocked.Increment(ref _expired);

    internal void SocketBroken() => Interlocked.Increment(ref _broken);

    internal void Affinity(bool hit) => Interlocked.Increment(ref hit ? ref _affinityHits : ref _affinityMisses);

    internal void FellBack() => Interlocked.Increment(ref _fallbacks);
}
