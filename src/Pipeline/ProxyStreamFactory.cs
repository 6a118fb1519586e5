using AkkaProxy.Pipeline.Admission;
using Akka;
using Akka.IO;
using Akka.Streams.Dsl;
using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Streams;

namespace AkkaProxy.Pipeline;

/// <summary>
/// The blueprint of the relay pipeline: an immutable chain of stages, built once by
/// <see cref="ProxyStreamBuilder"/> and shared by every exchange. <see cref="CreateRun"/> turns one
/// exchange into a run: source → frame decoder → stages → sink.
/// </summary>
/// <remarks>Thread-safe.</remarks>
public sealed class ProxyStreamFactory
{
    internal ProxyStreamFactory(IReadOnlyList<ProxyStage> stages, ProxyStreamOptions options, IRequestAdmission? admission = null)
    {
        Stages = stages;
        Options = options;
        Admission = admission;
        MayChangeResponseBodies = stages.Any(stage => stage.MayChangeResponseFrames);
        _responseStages = new Lazy<Flow<ProxyFrame, ProxyFrame, NotUsed>>(() => StageChain.Outer(this));
        InnerStages = StageChain.Inner(this);
        _turnStages = new Lazy<Flow<ProxyFrame, ProxyFrame, NotUsed>>(() => StageChain.Of(this, webSocket: true));
        _requestStages = new Lazy<Flow<RequestBinding, RequestBinding, NotUsed>>(() => StageChain.RequestsOf(this));
    }

    /// <summary>The stages, outermost (nearest the client) first, built-ins included.</summary>
    public IReadOnlyList<ProxyStage> Stages { get; }

    /// <summary>Limits and timeouts.</summary>
    public ProxyStreamOptions Options { get; }

    /// <summary>Who admits routed requests before they go upstream; null admits all.</summary>
    public IRequestAdmission? Admission { get; }

    /// <summary>
    /// The response of one exchange as an Akka.Streams flow, for embedders' own graphs: the upstream
    /// body's chunks in, the client's bytes out (one <see cref="ByteString"/> per upstream read, after
    /// the stages), materializing the exchange's result (outcome, usage, ids) when it ends. Create the
    /// run with <see cref="CreateRun"/> and apply its request stages before sending the request;
    /// materialize the flow once. A downstream cancel ends the exchange as client-aborted and reaches
    /// the upstream.
    /// </summary>
    /// <param name="run">The exchange's run.</param>
    /// <param name="framing"><see cref="FrameKind.SseEvent"/> for an event stream, <see cref="FrameKind.EventStreamMessage"/> for AWS's binary event stream (Bedrock), <see cref="FrameKind.BodyChunk"/> for any other body.</param>
    public Flow<ByteString, ByteString, Task<ExchangeResult>> ResponseFlow(ProxyRun run, FrameKind framing)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (!ReferenceEquals(run.Factory, this))
        {
            throw new ArgumentException("The run was created by another factory.", nameof(run));
        }

        // An exchange flow has no pipes: its source and sink are the flow's own ends.
        var binding = new ExchangeBinding(run, null!, null!, framing, null, TimeProvider.System, CancellationToken.None);
        return Flow.FromGraph(new ChunkReads(binding))
            .Via(new FrameDecoderStage(Options.MaxEventBytes, InnerStages))
            .Via(ResponseStages)
            .ViaMaterialized(new ChunkWrites(), Keep.Right);
    }

    /// <summary>
    /// The innermost run of plain stages (the usage tap, include-usage, custom stages up to the first
    /// user flow), innermost first: the frame decoder calls their hooks itself (see <see cref="StageChain"/>).
    /// </summary>
    internal ProxyStage[] InnerStages { get; }

    /// <summary>
    /// The other stages as one flow over response frames, innermost first: an immutable blueprint, built
    /// once and spliced into every connection's graph and exchange flow after the decoder (built per
    /// graph, it cost each new connection a reflection look-up per stage).
    /// </summary>
    internal Flow<ProxyFrame, ProxyFrame, NotUsed> ResponseStages => _responseStages.Value;

    private readonly Lazy<Flow<ProxyFrame, ProxyFrame, NotUsed>> _responseStages;

    /// <summary>The request side's stages as one flow, outermost first: a blueprint shared by every connection's graph.</summary>
    internal Flow<RequestBinding, RequestBinding, NotUsed> RequestStages => _requestStages.Value;

    private readonly Lazy<Flow<RequestBinding, RequestBinding, NotUsed>> _requestStages;

    /// <summary>The same for the turns of a Responses WebSocket session, without the stages that act on other APIs only.</summary>
    internal Flow<ProxyFrame, ProxyFrame, NotUsed> TurnStages => _turnStages.Value;

    private readonly Lazy<Flow<ProxyFrame, ProxyFrame, NotUsed>> _turnStages;

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
