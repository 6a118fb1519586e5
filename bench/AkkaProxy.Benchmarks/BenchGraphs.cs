using System.IO.Pipelines;
using Akka.Actor;
using Akka.Streams;
using AkkaProxy.Pipeline;
using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Streams;

namespace AkkaProxy.Benchmarks;

/// <summary>
/// The benchmarks' connection graphs: one actor system for the process, one long-lived graph per
/// factory (a keep-alive connection whose exchanges pass one after another, as the relay runs them).
/// </summary>
internal static class BenchGraphs
{
    private static readonly Lazy<ActorSystem> System = new(() => ActorSystem.Create("bench", "akka.loglevel = WARNING"));
    private static readonly Dictionary<ProxyStreamFactory, ConnectionGraph> Graphs = new(ReferenceEqualityComparer.Instance);

    public static IMaterializer Materializer => System.Value.Materializer();

    /// <summary>The long-lived graph of <paramref name="factory"/> (made on first use).</summary>
    public static ConnectionGraph For(ProxyStreamFactory factory)
    {
        lock (Graphs)
        {
            if (!Graphs.TryGetValue(factory, out ConnectionGraph? graph) || !graph.IsRunning)
            {
                Graphs[factory] = graph = new ConnectionGraph(factory, Materializer);
            }

            return graph;
        }
    }

    /// <summary>One exchange through <paramref name="factory"/>'s long-lived graph, waited for.</summary>
    public static PumpResult Pump(ProxyRun run, PipeReader upstream, PipeWriter client, FrameKind framing = FrameKind.SseEvent) =>
        For(run.Factory).PumpAsync(run, upstream, client, framing, null, TimeProvider.System, CancellationToken.None).GetAwaiter().GetResult();
}
