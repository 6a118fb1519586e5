using Akka;
using Akka.Streams.Dsl;
using AkkaProxy.Pipeline.Stages;

namespace AkkaProxy.Pipeline.Streams;

/// <summary>
/// A user's Akka.Streams <c>Flow</c> over requests (<see cref="ProxyExchange"/>s), holding its place in the
/// stage order on the request side of each connection's graph. On paths that pass requests one call at
/// a time (<see cref="ProxyRun.ApplyRequestStages"/>: a WebSocket turn, an embedder's own exchange flow)
/// it passes every request unchanged.
/// </summary>
internal sealed class RequestFlowStage(string name, Flow<ProxyExchange, ProxyExchange, NotUsed> flow) : ProxyStage
{
    public override string Name => name;

    public Flow<ProxyExchange, ProxyExchange, NotUsed> Flow { get; } = flow;

    internal override bool SeesResponseFrames => false;

    internal override bool SeesRequests => true;
}
