using Akka;
using Akka.Streams.Dsl;
using AkkaProxy.Pipeline.Stages;

namespace AkkaProxy.Pipeline.Streams;

/// <summary>The factory's stages as one flow over frames, innermost (the usage tap) first: the order response frames take.</summary>
internal static class StageChain
{
    public static Flow<ProxyFrame, ProxyFrame, NotUsed> Of(ProxyStreamFactory factory)
    {
        Flow<ProxyFrame, ProxyFrame, NotUsed> chain = Flow.Create<ProxyFrame>();
        IReadOnlyList<ProxyStage> stages = factory.Stages;
        for (int i = stages.Count - 1; i >= 0; i--)
        {
            chain = stages[i] is FlowStage flow ? chain.Via(flow.Flow) : chain.Via(new ProxyStageFlow(stages[i]));
        }

        return chain;
    }
}
