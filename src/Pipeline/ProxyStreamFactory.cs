using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Supervision;

namespace AkkaProxy.Pipeline;

/// <summary>
/// The blueprint of the relay pipeline: an immutable chain of stages, built once by
/// <see cref="ProxyStreamBuilder"/> and shared by every exchange. <see cref="CreateRun"/> turns one
/// exchange into a run: source → frame decoder → stages → sink.
/// </summary>
/// <remarks>Thread-safe.</remarks>
public sealed class ProxyStreamFactory
{
    internal ProxyStreamFactory(IReadOnlyList<ProxyStage> stages, ProxyStreamOptions options)
    {
        Stages = stages;
        Options = options;
        MayChangeResponseBodies = stages.Any(stage => stage.MayChangeResponseFrames);
    }

    /// <summary>The stages, outermost (nearest the client) first, built-ins included.</summary>
    public IReadOnlyList<ProxyStage> Stages { get; }

    /// <summary>Limits and timeouts.</summary>
    public ProxyStreamOptions Options { get; }

    /// <summary>Whether some stage may change or drop response frames, so a body's upstream length cannot be trusted.</summary>
    internal bool MayChangeResponseBodies { get; }

    /// <summary>
    /// Creates the run of one exchange. A run holds no pooled resources: it ends with
    /// <see cref="ProxyRun.Complete"/>, which calls every stage's completion hook once.
    /// </summary>
    public ProxyRun CreateRun(ProxyExchange exchange)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        return new ProxyRun(this, exchange);
    }
}
