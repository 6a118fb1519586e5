namespace AkkaProxy.Pipeline.Transport;

/// <summary>The header between the relay's own nodes when one sends a continuation on to the node that holds its socket.</summary>
internal static class AffinityHeaders
{
    /// <summary>
    /// Set on a request one relay node sends on to another: the receiving node serves it itself, never
    /// sends it on again. A client that sets it only turns affinity across nodes off for its request.
    /// Never sent upstream.
    /// </summary>
    public const string Forwarded = "X-AkkaProxy-Forwarded";

    /// <summary>On a draining node's 503: nothing was admitted or billed, so the node that sent the request on serves it itself.</summary>
    public const string Draining = "X-AkkaProxy-Draining";
}
