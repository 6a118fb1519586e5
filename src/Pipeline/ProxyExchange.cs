using System.Diagnostics;
using AkkaProxy.Pipeline.Framing;
using AkkaProxy.Pipeline.Rewrite;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Streams;
using AkkaProxy.Pipeline.Supervision;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline;

/// <summary>
/// The per-run state of one exchange: one HTTP request and its response, or one WebSocket turn.
/// Stages read it and keep their own per-run state in <see cref="Items"/>.
/// </summary>
/// <remarks>Used by one run at a time; not thread-safe.</remarks>
public sealed class ProxyExchange
{
    private Dictionary<object, object?>? _items;

    /// <summary>Creates an exchange.</summary>
    /// <param name="requestId">The relay's id for the request, echoed to the client and on the billing record.</param>
    /// <param name="api">The API spoken.</param>
    /// <param name="route">Where the request goes.</param>
    /// <param name="requestBody">The client's body, as sent.</param>
    /// <param name="isStreaming">Whether the client asked for a stream.</param>
    /// <param name="startedAt">When the request arrived.</param>
    public ProxyExchange(string requestId, ApiKind api, ProviderRoute route, ReadOnlyMemory<byte> requestBody, bool isStreaming, DateTimeOffset startedAt)
    {
        RequestId = requestId;
        Api = api;
        Route = route;
        RequestBody = requestBody;
        IsStreaming = isStreaming;
        StartedAt = startedAt;
        Accumulator = new UsageAccumulator(api);
    }

    /// <summary>The relay's request id.</summary>
    public string RequestId { get; }

    /// <summary>The API spoken.</summary>
    public ApiKind Api { get; }

    /// <summary>Where the request goes.</summary>
    public ProviderRoute Route { get; }

    /// <summary>The provider chosen.</summary>
    public Provider Provider => Route.Provider;

    /// <summary>Whether the client asked for a stream.</summary>
    public bool IsStreaming { get; }

    /// <summary>When the request arrived.</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>The id of the relay key the client used, or null when the relay needs none.</summary>
    public string? KeyId { get; init; }

    /// <summary>The request body to send upstream. Request stages may replace it.</summary>
    public ReadOnlyMemory<byte> RequestBody { get; set; }

    /// <summary>For Chat streams, whether the client itself asked for <c>include_usage</c>.</summary>
    public bool ClientRequestedUsage { get; internal set; }

    /// <summary>For Chat streams, whether the relay injected <c>include_usage</c> (and so hides the usage chunk).</summary>
    public bool UsageInjected { get; internal set; }

    /// <summary>For WebSocket turns, the turn number (1-based); null for HTTP.</summary>
    public int? Turn { get; init; }

    /// <summary>For WebSocket turns, the <c>previous_response_id</c> the client chained from.</summary>
    public string? PreviousResponseId { get; init; }

    /// <summary>For WebSocket turns, the <c>stream_id</c> lane.</summary>
    public string? StreamId { get; init; }

    /// <summary>Usage seen so far.</summary>
    public TokenUsage Usage => Accumulator.Snapshot();

    /// <summary>The response id the upstream reported, once seen.</summary>
    public string? ResponseId => Accumulator.ResponseId;

    /// <summary>The model the upstream reported, once seen.</summary>
    public string? ResponseModel => Accumulator.ResponseModel;

    /// <summary>How the upstream said the response ended, once seen.</summary>
    public TerminalKind Terminal => Accumulator.Terminal;

    /// <summary>When the first response byte was written to the client, if any.</summary>
    public DateTimeOffset? FirstByteAt { get; internal set; }

    /// <summary>Per-exchange state for custom stages, keyed by anything (the stage object itself works well).</summary>
    public IDictionary<object, object?> Items => _items ??= [];

    internal UsageAccumulator Accumulator { get; }

    internal JsonEventScanner Scanner { get; } = new();

    /// <summary>The incremental scan of a non-streaming body, created by the usage tap on its first chunk.</summary>
    internal JsonBodyScan? BodyScan { get; set; }

    /// <summary>Facts of the frame being processed, set by the usage tap for the stages outside it.</summary>
    internal EventFacts CurrentFacts;

    /// <summary>
    /// The top-level fields of <see cref="RequestBody"/>, read once per body: the transport's own read is
    /// reused by the request stages, and a body replaced by a stage is read again only when asked.
    /// </summary>
    internal RequestBodyInfo ReadRequestBody()
    {
        if (!_bodyInfoOf.Equals(RequestBody) || !_hasBodyInfo)
        {
            KnowRequestBody(RequestBodyReader.Read(RequestBody.Span));
        }

        return _bodyInfo;
    }

    /// <summary>Records what a read of the current <see cref="RequestBody"/> found.</summary>
    internal void KnowRequestBody(RequestBodyInfo info)
    {
        _bodyInfo = info;
        _bodyInfoOf = RequestBody;
        _hasBodyInfo = true;
    }

    /// <summary>The exchange's trace span, while it runs and someone listens (see <c>Diagnostics/ExchangeTracing</c>); null otherwise.</summary>
    internal Activity? Activity { get; set; }

    /// <summary>The connection the exchange runs on: its scope, which holds its graphs and its supervisor.</summary>
    internal ConnectionScope? Connection { get; set; }

    /// <summary>
    /// Whether the exchange's billing record was made. Read and written only by its connection's
    /// supervisor (one actor, one thread at a time): the one writer of the connection's records.
    /// </summary>
    internal bool Billed { get; set; }

    /// <summary>
    /// Whether the client named the model in the URL, not the body (an Azure OpenAI client's
    /// <c>/openai/deployments/{deployment}/...</c>): the model rewrite puts the upstream model into the body.
    /// </summary>
    internal bool ModelFromPath { get; set; }

    /// <summary>Whether the API names the model in the path only (Gemini's, Bedrock's): the body is the provider's, and the relay never edits it.</summary>
    internal bool ModelInPathOnly => Api is ApiKind.GeminiGenerateContent or ApiKind.BedrockConverse or ApiKind.BedrockInvoke;

    /// <summary>Why a binary event stream (Bedrock's) could not be read on, once it ended as <see cref="PumpResult.UpstreamCorrupt"/>.</summary>
    internal EventStreamError StreamError { get; set; }

    /// <summary>The exchange's request on the request side of its connection's graph, while it is there.</summary>
    internal RequestBinding? Request { get; set; }

    private RequestBodyInfo _bodyInfo;
    private ReadOnlyMemory<byte> _bodyInfoOf;
    private bool _hasBodyInfo;
}
