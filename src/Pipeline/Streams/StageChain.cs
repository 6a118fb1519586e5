using Akka;
using Akka.Streams.Dsl;
using AkkaProxy.Pipeline.Stages;

namespace AkkaProxy.Pipeline.Streams;

/// <summary>
/// The factory's stages as one flow over frames, innermost (the usage tap) first: the order response
/// frames take. A stage that does nothing with response frames (the model rewrite) is left out, and
/// from a WebSocket session's chain also one that does nothing with its turns' frames (include-usage).
/// </summary>
internal static class StageChain
{
    public static Flow<ProxyFrame, ProxyFrame, NotUsed> Of(ProxyStreamFactory factory, bool webSocket = false)
    {
        Flow<ProxyFrame, ProxyFrame, NotUsed> chain = Flow.Create<ProxyFrame>();
        IReadOnlyList<ProxyStage> stages = factory.Stages;
        for (int i = stages.Count - 1; i >= 0; i--)
        {
            if (stages[i] is FlowStage flow)
            {
                chain = chain.Via(flow.Flow);
            }
            else if (webSocket ? stages[i].SeesWebSocketFrames : stages[i].SeesResponseFrames)
            {
                chain = chain.Via(new ProxyStageFlow(stages[i])); // a stage with no frame hook (model rewrite) takes no place
            }
        }

        return chain;
    }

    /// <summary>
    /// The request side: the stages that act on requests, outermost (the model rewrite) first, the order
    /// requests take; a user's request flow is spliced at its place, seeing the exchange itself.
    /// </summary>
    public static Flow<RequestBinding, RequestBinding, NotUsed> RequestsOf(ProxyStreamFactory factory)
    {
        Flow<RequestBinding, RequestBinding, NotUsed> chain = Flow.Create<RequestBinding>();
        foreach (ProxyStage stage in factory.Stages)
        {
            if (stage is RequestFlowStage user)
            {
                chain = chain
                    .Select(request => request.Exchange)
                    .Via(user.Flow)
                    .Select(exchange => exchange.Request ?? throw new InvalidOperationException(
                        $"Request flow '{user.Name}' emitted an exchange that is not the one it was given; a request flow must pass the exchanges it gets."));
            }
            else if (stage.SeesRequests)
            {
                chain = chain.Via(new RequestStageFlow(stage));
            }
        }

        return chain;
    }
}
