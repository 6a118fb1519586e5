using Akka;
using Akka.Streams.Dsl;
using AkkaProxy.Pipeline.Stages;

namespace AkkaProxy.Pipeline.Streams;

/// <summary>
/// The factory's stages as the connection's graph places them. Response frames take the stages
/// innermost (the usage tap) first. The innermost run of plain stages (no user flow among them) is
/// fused into the frame decoder (<see cref="Inner"/>): a frame is decoded, tapped and filtered in one
/// graph stage, with no hop between them. Each later run of plain stages is one
/// <see cref="ProxyStageFlow"/>, and each user flow is spliced in its place (<see cref="Outer"/>). A
/// stage that does nothing with response frames (the model rewrite) takes no place, and from a
/// WebSocket session's chain also one that does nothing with its turns' frames (include-usage).
/// </summary>
internal static class StageChain
{
    /// <summary>The innermost run of plain stages, innermost first: what the frame decoder calls itself for each frame.</summary>
    public static ProxyStage[] Inner(ProxyStreamFactory factory)
    {
        var inner = new List<ProxyStage>();
        IReadOnlyList<ProxyStage> stages = factory.Stages;
        for (int i = stages.Count - 1; i >= 0 && stages[i] is not FlowStage; i--)
        {
            if (stages[i].SeesResponseFrames)
            {
                inner.Add(stages[i]);
            }
        }

        return [.. inner];
    }

    /// <summary>The stages outside <see cref="Inner"/> as one flow (empty when there are none).</summary>
    public static Flow<ProxyFrame, ProxyFrame, NotUsed> Outer(ProxyStreamFactory factory)
    {
        IReadOnlyList<ProxyStage> stages = factory.Stages;
        int i = stages.Count - 1;
        while (i >= 0 && stages[i] is not FlowStage)
        {
            i--; // the decoder's
        }

        return Of(stages, i, webSocket: false);
    }

    /// <summary>Every stage, for a graph whose decoder calls none (a WebSocket session's, whose frames come from the turn stage).</summary>
    public static Flow<ProxyFrame, ProxyFrame, NotUsed> Of(ProxyStreamFactory factory, bool webSocket = false) =>
        Of(factory.Stages, factory.Stages.Count - 1, webSocket);

    private static Flow<ProxyFrame, ProxyFrame, NotUsed> Of(IReadOnlyList<ProxyStage> stages, int from, bool webSocket)
    {
        Flow<ProxyFrame, ProxyFrame, NotUsed> chain = Flow.Create<ProxyFrame>();
        var run = new List<ProxyStage>();
        for (int i = from; i >= 0; i--)
        {
            if (stages[i] is FlowStage flow)
            {
                chain = Close(chain, run).Via(flow.Flow);
            }
            else if (webSocket ? stages[i].SeesWebSocketFrames : stages[i].SeesResponseFrames)
            {
                run.Add(stages[i]); // a stage with no frame hook (model rewrite) takes no place
            }
        }

        return Close(chain, run);
    }

    /// <summary>The run of plain stages gathered so far, as one graph stage.</summary>
    private static Flow<ProxyFrame, ProxyFrame, NotUsed> Close(Flow<ProxyFrame, ProxyFrame, NotUsed> chain, List<ProxyStage> run)
    {
        if (run.Count == 0)
        {
            return chain;
        }

        chain = chain.Via(new ProxyStageFlow([.. run]));
        run.Clear();
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
