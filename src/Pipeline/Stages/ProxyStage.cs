namespace AkkaProxy.Pipeline.Stages;

/// <summary>
/// A pass-through stage: override only the hooks you need. This is the base for custom stages.
/// </summary>
/// <remarks>
/// <para><b>Blueprint, not run.</b> A stage object is built once and shared by every exchange on
/// every thread. Keep no per-exchange state in fields; put it in <see cref="ProxyExchange.Items"/>
/// or derive it from the exchange. Fields set in the constructor (options) are fine.</para>
/// <para><b>Order.</b> The stage added first is outermost, nearest the client: requests pass stages
/// in the order added, response frames in reverse. The built-in model rewrite and
/// <c>include_usage</c> stages are outside every custom stage, and the usage tap inside them all,
/// so it always sees the upstream's bytes.</para>
/// <para><b>Failure.</b> Hooks are called on the data path: they must not block. An exception from a
/// hook is a bug: it is logged with the request id, and the exchange ends as failed. Thrown from
/// <see cref="OnRequest"/>, it sends nothing upstream and the client gets a 500 in the API's error
/// shape; thrown from <see cref="OnResponseFrame"/>, the response is cut; thrown from
/// <see cref="OnCompleted"/>, it changes neither the response nor its billing record.</para>
/// </remarks>
public abstract class ProxyStage
{
    /// <summary>A short name for logs and configuration.</summary>
    public virtual string Name => GetType().Name;

    /// <summary>Called once per exchange, before the request goes upstream. May replace <see cref="ProxyExchange.RequestBody"/>.</summary>
    public virtual void OnRequest(ProxyExchange exchange)
    {
    }

    /// <summary>Called for each response frame on its way to the client. May replace the frame through <paramref name="frame"/>.</summary>
    /// <returns><see cref="FrameDecision.Forward"/> to pass it on, <see cref="FrameDecision.Drop"/> to swallow it.</returns>
    public virtual FrameDecision OnResponseFrame(ProxyExchange exchange, ref ResponseFrame frame) => FrameDecision.Forward;

    /// <summary>
    /// Whether this stage may change or drop a response frame. A stage that overrides
    /// <see cref="OnResponseFrame"/> may; then a non-streaming response loses the upstream's
    /// <c>Content-Length</c> and is sent chunked, since its length can no longer be known in advance.
    /// </summary>
    internal virtual bool MayChangeResponseFrames => SeesResponseFrames;

    /// <summary>
    /// Whether this stage does anything with response frames (it overrides <see cref="OnResponseFrame"/>).
    /// One that does not takes no place in a connection's graph: every place costs each element a hop.
    /// </summary>
    internal virtual bool SeesResponseFrames =>
        GetType().GetMethod(nameof(OnResponseFrame), [typeof(ProxyExchange), typeof(ResponseFrame).MakeByRefType()])?.DeclaringType != typeof(ProxyStage);

    /// <summary>
    /// Whether this stage does anything with the frames of a Responses WebSocket turn. One that acts on
    /// another API only (include-usage: Chat Completions) takes no place in a session's graph.
    /// </summary>
    internal virtual bool SeesWebSocketFrames => SeesResponseFrames;

    /// <summary>
    /// Whether this stage does anything with requests (it overrides <see cref="OnRequest"/>). One that does
    /// not takes no place on the request side of a connection's graph.
    /// </summary>
    internal virtual bool SeesRequests =>
        GetType().GetMethod(nameof(OnRequest), [typeof(ProxyExchange)])?.DeclaringType != typeof(ProxyStage);

    /// <summary>Called once when the exchange has ended, whatever the outcome, before the billing record is emitted.</summary>
    public virtual void OnCompleted(ProxyExchange exchange)
    {
    }
}
