namespace AkkaProxy.Pipeline.Stages;

/// <summary>A stage made of delegates, for one-line custom stages.</summary>
internal sealed class LambdaStage(string name, Action<ProxyExchange>? onRequest, ResponseFrameHandler? onResponseFrame) : ProxyStage
{
    public override string Name => name;

    public override void OnRequest(ProxyExchange exchange) => onRequest?.Invoke(exchange);

    internal override bool MayChangeResponseFrames => onResponseFrame is not null;

    internal override bool SeesResponseFrames => onResponseFrame is not null;

    internal override bool SeesRequests => onRequest is not null;

    public override FrameDecision OnResponseFrame(ProxyExchange exchange, ref ResponseFrame frame) =>
        onResponseFrame is null ? FrameDecision.Forward : onResponseFrame(exchange, ref frame);
}
