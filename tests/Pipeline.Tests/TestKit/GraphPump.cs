using System.IO.Pipelines;
using Akka.Actor;
using Akka.Streams;
using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Streams;

namespace AkkaProxy.Pipeline.Tests.TestKit;

/// <summary>Relays one exchange through a connection graph of its own, on one actor system shared by the tests.</summary>
internal static class GraphPump
{
    private static readonly Lazy<ActorSystem> System = new(() => ActorSystem.Create("pipeline-tests", "akka.loglevel = WARNING"));

    public static IMaterializer Materializer => System.Value.Materializer();

    /// <summary>As the relay does for a client without keep-alive: one graph, one exchange, then the graph stops.</summary>
    public static async Task<PumpResult> PumpAsync(this ProxyRun run, PipeReader upstream, PipeWriter client, FrameKind framing, ActivityTimeout? activity, TimeProvider time, CancellationToken cancellationToken)
    {
        var graph = new ConnectionGraph(run.Factory, Materializer);
        try
        {
            return await graph.PumpAsync(run, upstream, client, framing, activity, time, cancellationToken);
        }
        finally
        {
            graph.Shutdown();
        }
    }
}
