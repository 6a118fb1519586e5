using Akka;
using Akka.Streams.Dsl;
using AkkaProxy.Pipeline.Stages;

namespace AkkaProxy.Pipeline.Streams;

/// <summary>
/// An Akka.Streams <c>Flow</c> over <see cref="ProxyFrame"/>s, holding its place in the stage order.
/// Connection and session graphs splice the flow itself at that place; on paths that pass frames one
/// call at a time (<see cref="ProxyRun.ProcessFrame"/>), it passes every frame unchanged.
/// </summary>
internal sealed class FlowStage(string name, Flow<ProxyFrame, ProxyFrame, NotUsed> flow) : ProxyStage
{
    public override string Name => name;

    public Flow<ProxyFrame, ProxyFrame, NotUsed> Flow { get; } = flow;

    internal override bool MayChangeResponseFrames => true;

    internal override bool SeesResponseFrames => true;

    internal override bool SeesRequests => false;
}
