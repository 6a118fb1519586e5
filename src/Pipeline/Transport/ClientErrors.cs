using AkkaProxy.Pipeline.Routing;

namespace AkkaProxy.Pipeline.Transport;

/// <summary>An error event's code, message and param.</summary>
internal sealed record ClientError(string Code, string Message, string? Param);

/// <summary>The errors a WebSocket client can get for its own messages, each saying what to fix.</summary>
internal static class ClientErrors
{
    public static ClientError ShuttingDown { get; } = new("relay_shutting_down",
        "The relay is shutting down: this socket closes with 1001 once its open turns have ended. Reconnect to go on.", null);

    public static ClientError MissingModel { get; } = new("missing_model",
        "The first response.create must name a model, such as 'openai/gpt-4o' (or open the socket with ?model=).", "model");

    public static ClientError Binary { get; } = new("invalid_message",
        "Binary messages are not part of the Responses WebSocket protocol: send JSON text messages.", null);

    public static ClientError Unreadable(string? why) => new("invalid_message",
        $"The message is not a JSON object the relay can read ({why}). Send a JSON event such as response.create.", null);

    public static ClientError FirstMessage(string? type) => type is null
        ? new("invalid_message", "The first message must be a JSON object with \"type\": \"response.create\"; this one has no 'type'.", "type")
        : new("invalid_message", $"The first message must be of type 'response.create'; got '{type}'. Send a response.create to open the session.", "type");

    public static ClientError TooManyOpenTurns(int limit) => new("too_many_open_turns",
        $"This socket already has {limit} response.create turns waiting for their results. Wait for some to finish, or open another socket.", null);

    public static ClientError NoWebSocketMode(Provider provider) => new("unsupported_provider",
        $"Provider '{provider.Name}' is {Provider.KindName(provider.Kind)} provider and has no Responses WebSocket mode. Use an OpenAI or OpenAI-compatible provider.", "model");

    public static ClientError ProviderSwitch(Provider requested, Provider current) => new("provider_mismatch",
        $"This socket is connected to provider '{current.Name}'; the model routes to '{requested.Name}'. Use a model of '{current.Name}' here, or open another socket.", "model");

    public static ClientError MissingKey(Provider provider) => new("provider_key_missing",
        $"Provider '{provider.Name}' has no API key: set {provider.MissingKeyHint} for the relay.", null);

    public static ClientError Unreachable(Provider provider, string requestId) => new("upstream_unreachable",
        $"Provider '{provider.Name}' could not be reached over WebSocket (request id {requestId}).", null);

    public static ClientError StageFailed(string requestId) => new("relay_stage_failed",
        $"The relay failed to prepare this response.create (request id {requestId}); it was not sent.", null);
}
