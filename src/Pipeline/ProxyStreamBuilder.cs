using AkkaProxy.Pipeline.Admission;
using Akka;
using Akka.Streams.Dsl;
using AkkaProxy.Pipeline.Rewrite;
using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Streams;
using AkkaProxy.Pipeline.Usage;
using Microsoft.Extensions.Configuration;

namespace AkkaProxy.Pipeline;

/// <summary>
/// Builds a <see cref="ProxyStreamFactory"/>. Stages are added four ways: an object deriving from
/// <see cref="ProxyStage"/> (<see cref="Use"/>), a lambda (<see cref="MapRequest"/>,
/// <see cref="MapResponseFrames"/>), a factory named in configuration
/// (<see cref="AddStageFactory"/> + <see cref="UseConfiguredStages"/>), or an Akka.Streams flow
/// over frames (<see cref="UseFlow"/>).
/// </summary>
/// <remarks>
/// <para><b>Order:</b> the first stage added is the outermost, nearest the client. Requests pass
/// the stages in the order added; response frames pass them in reverse. Around the custom stages
/// the factory always places, from the client inwards: model rewrite, <c>include_usage</c>
/// handling, [custom stages…], the usage tap (innermost, next to the upstream).</para>
/// <para>Not thread-safe; build once at start-up.</para>
/// </remarks>
public sealed class ProxyStreamBuilder
{
    private readonly List<Func<ProxyStage>> _stages = [];
    private readonly Dictionary<string, IProxyStageFactory> _factories = new(StringComparer.OrdinalIgnoreCase);
    private IRequestAdmission? _admission;

    /// <summary>Limits and timeouts for every run.</summary>
    public ProxyStreamOptions Options { get; } = new();

    /// <summary>Adds a stage object.</summary>
    public ProxyStreamBuilder Use(ProxyStage stage)
    {
        ArgumentNullException.ThrowIfNull(stage);
        _stages.Add(() => stage);
        return this;
    }

    /// <summary>Adds a lambda that sees (and may replace) each request before it goes upstream.</summary>
    public ProxyStreamBuilder MapRequest(Action<ProxyExchange> onRequest, string name = "request-lambda")
    {
        ArgumentNullException.ThrowIfNull(onRequest);
        return Use(new LambdaStage(name, onRequest, null));
    }

    /// <summary>Adds a lambda that sees each response frame, and may replace or drop it.</summary>
    public ProxyStreamBuilder MapResponseFrames(ResponseFrameHandler onFrame, string name = "frame-lambda")
    {
        ArgumentNullException.ThrowIfNull(onFrame);
        return Use(new LambdaStage(name, null, onFrame));
    }

    /// <summary>
    /// Adds an Akka.Streams <c>Flow</c> over the response frames, spliced into each connection's graph
    /// and each WebSocket session's graph at this point of the order. It sees every element in order,
    /// frames, flush points and ends; it may replace or drop frames, and must pass the others on
    /// unchanged, one out per one in, without buffering (see <see cref="ProxyFrame"/>). On a WebSocket
    /// session each frame is one server event of one turn, and each turn ends with an end element.
    /// </summary>
    /// <exception cref="ArgumentException">The flow has an async boundary (<c>.Async()</c>) or a stage that
    /// buffers or detaches (<c>Buffer</c>, <c>Detach</c>, <c>Grouped</c>, <c>Conflate</c>, <c>SelectAsync</c>
    /// with parallelism above 1, …): frames are reused element by element, so the graph refuses it.</exception>
    public ProxyStreamBuilder UseFlow(Flow<ProxyFrame, ProxyFrame, NotUsed> flow, string name = "flow")
    {
        ArgumentNullException.ThrowIfNull(flow);
        UserFlowCheck.ThrowIfHolding(flow, name, nameof(flow));
        return Use(new FlowStage(name, flow));
    }

    /// <summary>
    /// Adds an Akka.Streams <c>Flow</c> over requests, spliced into the request side of each connection's
    /// graph at this point of the order (requests pass stages in the order added). It sees each HTTP
    /// exchange before it goes upstream, and may change it (its <see cref="ProxyExchange.RequestBody"/>,
    /// its <see cref="ProxyExchange.Items"/>); it must pass every exchange it gets on, one out per one in
    /// (one it drops fails that request with a 500). An exception it throws stops the connection's graph.
    /// WebSocket turns pass their stages' <see cref="ProxyStage.OnRequest"/> hooks, not request flows.
    /// </summary>
    /// <exception cref="ArgumentException">The flow has an async boundary or a buffering stage, as for
    /// <see cref="UseFlow"/>: the connection's graph stays one fused island.</exception>
    public ProxyStreamBuilder UseRequestFlow(Flow<ProxyExchange, ProxyExchange, NotUsed> flow, string name = "request-flow")
    {
        ArgumentNullException.ThrowIfNull(flow);
        UserFlowCheck.ThrowIfHolding(flow, name, nameof(flow));
        return Use(new RequestFlowStage(name, flow));
    }

    /// <summary>Registers a factory that configuration can name.</summary>
    public ProxyStreamBuilder AddStageFactory(IProxyStageFactory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _factories[factory.Name] = factory;
        return this;
    }

    /// <summary>
    /// Adds the stages listed in <paramref name="stages"/> (children <c>0</c>, <c>1</c>, … each with a
    /// <c>factory</c> key), in order, at this point of the chain. Factories are resolved at
    /// <see cref="Build"/>, so they may be registered after this call.
    /// </summary>
    public ProxyStreamBuilder UseConfiguredStages(IConfiguration stages)
    {
        ArgumentNullException.ThrowIfNull(stages);
        foreach (IConfigurationSection section in stages.GetChildren().OrderBy(s => int.TryParse(s.Key, out int i) ? i : int.MaxValue))
        {
            string? factoryName = section["factory"];
            string path = section.Path;
            _stages.Add(() =>
            {
                if (string.IsNullOrWhiteSpace(factoryName))
                {
                    throw new ArgumentException($"Stage '{path}' has no 'factory' key. Name one of: {string.Join(", ", _factories.Keys)}.");
                }

                return _factories.TryGetValue(factoryName, out IProxyStageFactory? factory)
                    ? factory.Create(section)
                    : throw new ArgumentException($"Stage '{path}' names factory '{factoryName}', which is not registered. Registered: {string.Join(", ", _factories.Keys)}.");
            });
        }

        return this;
    }

    /// <summary>
    /// Sets who admits routed requests before they go upstream (a relay's budgets and rate limits):
    /// see <see cref="IRequestAdmission"/>. One per factory; a later call replaces an earlier one.
    /// </summary>
    public ProxyStreamBuilder UseAdmission(IRequestAdmission admission)
    {
        ArgumentNullException.ThrowIfNull(admission);
        _admission = admission;
        return this;
    }

    /// <summary>Validates the options, creates every stage and returns the immutable factory.</summary>
    public ProxyStreamFactory Build()
    {
        Options.Validate();
        var stages = new List<ProxyStage> { new ModelRewriteStage(), new IncludeUsageStage() };
        stages.AddRange(_stages.Select(create => create()));
        stages.Add(new UsageTapStage(Options.MaxEventBytes));
        return new ProxyStreamFactory(stages, Options, _admission);
    }
}
