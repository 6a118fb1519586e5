using AkkaProxy.Pipeline.Rewrite;
using AkkaProxy.Pipeline.Stages;

namespace AkkaProxy.Pipeline.Usage;

/// <summary>
/// For streamed Chat Completions, asks the upstream for usage (<c>stream_options.include_usage</c>)
/// when the provider accepts it, and hides the extra usage-only chunk from a client that did not ask.
/// Never touches Responses or Anthropic requests, which always report usage.
/// </summary>
internal sealed class IncludeUsageStage : ProxyStage
{
    public override string Name => "include-usage";

    /// <summary>It drops only SSE events (the usage-only chunk); a body's bytes pass untouched.</summary>
    internal override bool MayChangeResponseFrames => false;

    /// <summary>WebSocket mode is Responses only, which this stage never touches.</summary>
    internal override bool SeesWebSocketFrames => false;

    public override void OnRequest(ProxyExchange exchange)
    {
        if (exchange.Api != ApiKind.ChatCompletions || !exchange.IsStreaming)
        {
            return;
        }

        RequestBodyInfo info = exchange.ReadRequestBody();
        exchange.ClientRequestedUsage = info.IncludeUsage;
        if (!info.IncludeUsage && exchange.Provider.AcceptsStreamOptions)
        {
            exchange.RequestBody = JsonBodyEditor.EnsureIncludeUsage(exchange.RequestBody.Span, info);
            exchange.UsageInjected = true;
        }
    }

    public override FrameDecision OnResponseFrame(ProxyExchange exchange, ref ResponseFrame frame) =>
        exchange.UsageInjected && frame.Kind == FrameKind.SseEvent && exchange.CurrentFacts.IsUsageOnlyChatChunk
            ? FrameDecision.Drop
            : FrameDecision.Forward;
}
