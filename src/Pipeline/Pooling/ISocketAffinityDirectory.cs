using Microsoft.AspNetCore.Http;

namespace AkkaProxy.Pipeline.Pooling;

/// <summary>
/// Conversation affinity across relay nodes (the cluster package's directory of response ids): which
/// node's pool holds the idle upstream socket whose last response was X, so a request continuing X
/// that lands on another node is served over that socket, where it lives.
/// </summary>
internal interface ISocketAffinityDirectory
{
    /// <summary>
    /// A socket of this node's pool holds <paramref name="responseId"/>: its turn started it
    /// (<c>response.created</c>), or ended with it and the socket is idle. The task completes once the
    /// directory has it (or after a short bound): the turn's terminal event waits for it, so a client
    /// that continues at once, on any node, finds it known.
    /// </summary>
    Task Holds(string responseId);

    /// <summary>This node's pool no longer holds <paramref name="responseId"/>: its socket started another turn, or closed.</summary>
    void Released(string responseId);

    /// <summary>
    /// Serves the request on the node whose pool holds <paramref name="previousResponseId"/>, when
    /// another node does: the response it answers is written to <paramref name="context"/> and the
    /// result is true. False when this node holds it, nobody is known to, or the other node could not
    /// be reached before it answered: the request is then served here.
    /// </summary>
    /// <param name="context">The client's request, authenticated and routed; nothing written yet.</param>
    /// <param name="previousResponseId">The response the request continues.</param>
    /// <param name="body">The request body as read (decoded).</param>
    /// <param name="cancellationToken">The client's.</param>
    ValueTask<bool> TryForwardAsync(HttpContext context, string previousResponseId, ReadOnlyMemory<byte> body, CancellationToken cancellationToken);
}
