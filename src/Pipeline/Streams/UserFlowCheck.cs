using System.Reflection;
using Akka.Streams;
using Akka.Streams.Implementation;
using Akka.Streams.Implementation.Fusing;

namespace AkkaProxy.Pipeline.Streams;

/// <summary>
/// Refuses, when it is added, a user's flow that would hold an element past its push: an async boundary
/// (<c>.Async()</c>, anywhere in the flow's module tree) or a stage that buffers or detaches
/// (<c>Buffer</c>, <c>Detach</c>, <c>Grouped</c>, <c>Sliding</c>, <c>Conflate</c>/<c>Batch</c>,
/// <c>Expand</c>, <c>Delay</c>, <c>GroupedWithin</c>, <c>SelectAsync</c> with parallelism above 1).
/// </summary>
/// <remarks>
/// The connection's graph is one fused island with one element in flight: the frame decoder and the
/// WebSocket turn stage hand every stage the same <see cref="ProxyFrame"/> again once it was pulled for
/// the next one, which is what keeps the built-in path free of per-event allocation. A flow that pulls
/// before it has pushed what it holds would see that element rewritten under it (a reviewer's probe:
/// a <c>.Async()</c> user flow gave the client wrong bytes in 20 of 20 runs). So the graph refuses such
/// a flow at build time, with the flow's name and the offending part, rather than corrupt a stream.
/// </remarks>
internal static class UserFlowCheck
{
    private static readonly Dictionary<Type, string> Holding = new()
    {
        [typeof(Buffer<>)] = "Buffer",
        [typeof(Detacher<>)] = "Detach",
        [typeof(Grouped<>)] = "Grouped",
        [typeof(Sliding<>)] = "Sliding",
        [typeof(Batch<,>)] = "Batch/Conflate",
        [typeof(Expand<,>)] = "Expand",
        [typeof(Delay<>)] = "Delay",
        [typeof(GroupedWeightedWithin<>)] = "GroupedWithin",
    };

    /// <summary>Throws <see cref="ArgumentException"/> when <paramref name="flow"/> holds elements past their push.</summary>
    public static void ThrowIfHolding(IGraph<Shape> flow, string name, string paramName)
    {
        string? why = FindHolding(flow.Module);
        if (why is not null)
        {
            throw new ArgumentException(
                $"Flow '{name}' has {why}. A flow spliced into a connection's graph must pass each element on before it " +
                "pulls the next one: the graph is one fused island with one element in flight, and frames are reused " +
                "element by element. Remove the async boundary or buffer; do blocking or slow work in a stage's " +
                "async callback or SelectAsync(1, …).",
                paramName);
        }
    }

    private static string? FindHolding(IModule module)
    {
        if (module.Attributes.Contains<Attributes.AsyncBoundary>())
        {
            return "an async boundary (.Async())";
        }

        if (module is GraphStageModule stageModule && Describe(stageModule.Stage) is { } stage)
        {
            return stage;
        }

        foreach (IModule sub in module.SubModules)
        {
            if (FindHolding(sub) is { } found)
            {
                return found;
            }
        }

        return null;
    }

    private static string? Describe(object stage)
    {
        Type type = stage.GetType();
        if (!type.IsGenericType)
        {
            return null;
        }

        Type definition = type.GetGenericTypeDefinition();
        if (Holding.TryGetValue(definition, out string? what))
        {
            return $"a buffering stage ({what})";
        }

        if (definition == typeof(SelectAsync<,>) || definition == typeof(SelectAsyncUnordered<,>))
        {
            int parallelism = Parallelism(stage);
            return parallelism == 1 ? null : $"SelectAsync with parallelism {(parallelism < 0 ? "unknown" : parallelism)} (more than one element in flight)";
        }

        return null;
    }

    /// <summary>The stage's parallelism, or -1 when this Akka.Streams version does not show it (then refused: safe side).</summary>
    private static int Parallelism(object stage) =>
        stage.GetType().GetField("_parallelism", BindingFlags.Instance | BindingFlags.NonPublic)?.GetValue(stage) is int value ? value : -1;
}
