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
}
