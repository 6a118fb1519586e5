namespace AkkaProxy.Cluster.Affinity;

/// <summary>A message to or from the directory of response ids: crosses nodes, serialized by <see cref="AffinitySerializer"/>.</summary>
internal interface IAffinityMessage
{
    /// <summary>The upstream response id (<c>resp_...</c>): which bucket of the directory the message is for.</summary>
    string ResponseId { get; }
}

/// <summary>A pooled socket of the node at <paramref name="Node"/> holds <paramref name="ResponseId"/> (answered with <see cref="SocketAt"/> to an asking sender).</summary>
/// <param name="ResponseId">The response its last turn ended with.</param>
/// <param name="Node">The node's relay URL (<c>http://host:port</c>), where its continuations go.</param>
/// <param name="Member">The node's cluster address: its entries go when it leaves the cluster.</param>
internal sealed record SocketHeld(string ResponseId, string Node, string Member) : IAffinityMessage;

/// <summary>The node at <paramref name="Node"/> no longer holds <paramref name="ResponseId"/> (its socket started another turn, or closed).</summary>
/// <param name="ResponseId">The response.</param>
/// <param name="Node">The node's relay URL; an entry another node wrote since stays.</param>
internal sealed record SocketReleased(string ResponseId, string Node) : IAffinityMessage;

/// <summary>Which node holds <paramref name="ResponseId"/>? Answered with <see cref="SocketAt"/> to the sender.</summary>
/// <param name="ResponseId">The response a request continues.</param>
internal sealed record WhereIsSocket(string ResponseId) : IAffinityMessage;

/// <summary>The answer: the relay URL of the node holding the response, or empty when no node is known to.</summary>
/// <param name="ResponseId">The response.</param>
/// <param name="Node">The node's relay URL, or empty.</param>
internal sealed record SocketAt(string ResponseId, string Node) : IAffinityMessage;
