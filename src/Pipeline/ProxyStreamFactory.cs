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
    }

    /// <summary>The stages, outermost (nearest the client) first, built-ins included.</summary>
    public IReadOnlyList<ProxyStage> Stages { get; }

    /// <summary>Limits and timeouts.</summary>
    public ProxyStreamOptions Options { get; }

    /// <summary>Creates the run of one exchange. The run owns its buffers until it is disposed.</summary>
    public ProxyRun CreateRun(ProxyExchange exchange)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        return new ProxyRun(this, exchange);
    }
}
