namespace AkkaProxy.Pipeline.Stages;

/// <summary>A lambda that sees each response frame; see <see cref="ProxyStage.OnResponseFrame"/>.</summary>
public delegate FrameDecision ResponseFrameHandler(ProxyExchange exchange, ref ResponseFrame frame);
