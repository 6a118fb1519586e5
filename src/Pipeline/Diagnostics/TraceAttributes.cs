namespace AkkaProxy.Pipeline.Diagnostics;

/// <summary>
/// The attribute names of the relay's spans: the OpenTelemetry GenAI semantic conventions where they
/// name the thing (<c>gen_ai.*</c>, <c>server.*</c>, <c>error.type</c>), the relay's own
/// (<c>akkaproxy.*</c>) for the rest. docs/observability.md lists them with their values.
/// </summary>
internal static class TraceAttributes
{
    public const string OperationName = "gen_ai.operation.name";
    public const string ProviderName = "gen_ai.provider.name";
    public const string RequestModel = "gen_ai.request.model";
    public const string ResponseModel = "gen_ai.response.model";
    public const string ResponseId = "gen_ai.response.id";
    public const string InputTokens = "gen_ai.usage.input_tokens";
    public const string OutputTokens = "gen_ai.usage.output_tokens";
    public const string CacheReadInputTokens = "gen_ai.usage.cache_read.input_tokens";
    public const string CacheCreationInputTokens = "gen_ai.usage.cache_creation.input_tokens";
    public const string ServerAddress = "server.address";
    public const string ServerPort = "server.port";
    public const string ErrorType = "error.type";

    public const string Api = "akkaproxy.api";
    public const string Provider = "akkaproxy.provider";
    public const string RequestedModel = "akkaproxy.requested_model";
    public const string RequestId = "akkaproxy.request_id";
    public const string KeyId = "akkaproxy.key_id";
    public const string Turn = "akkaproxy.websocket.turn";
    public const string StreamId = "akkaproxy.websocket.stream_id";
    public const string ReasoningTokens = "akkaproxy.usage.reasoning_tokens";
    public const string UsageStatus = "akkaproxy.usage.status";
    public const string Cost = "akkaproxy.cost_usd";
    public const string Outcome = "akkaproxy.outcome";
    public const string EndedBy = "akkaproxy.ended_by";
    public const string ErrorSide = "akkaproxy.error.side";
    public const string ErrorPhase = "akkaproxy.error.phase";
}
