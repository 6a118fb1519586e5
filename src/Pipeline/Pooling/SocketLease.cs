namespace AkkaProxy.Pipeline.Pooling;

/// <summary>What a lease request got: a socket for the caller alone, or why there is none.</summary>
/// <param name="Socket">The socket, the caller's until it gives it back (<see cref="UpstreamSocketPools.Release"/>).</param>
/// <param name="AffinityHit">Whether it is the socket that produced the requested <c>previous_response_id</c>.</param>
/// <param name="Failure">Why there is no socket (the dial failed, the pool is closed).</param>
internal readonly record struct SocketLease(PooledSocket? Socket, bool AffinityHit, Exception? Failure)
{
    public static SocketLease Failed(Exception failure) => new(null, false, failure);
}
