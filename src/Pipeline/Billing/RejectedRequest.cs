using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Billing;

/// <summary>An authenticated request (or WebSocket <c>response.create</c>) the relay refused before anything went upstream.</summary>
internal sealed record RejectedRequest
{
    /// <summary>The relay's request id, as the client was told.</summary>
    public required string RequestId { get; init; }

    /// <summary>The API spoken.</summary>
    public required ApiKind Api { get; init; }

    /// <summary>The relay key's id, or null when the relay is open.</summary>
    public string? KeyId { get; init; }

    /// <summary>The route, when the request got that far (a provider without a key, a stage that refused).</summary>
    public ProviderRoute? Route { get; init; }

    /// <summary>The model the client named, when the body could be read but did not route.</summary>
    public string? RequestedModel { get; init; }

    /// <summary>Whether the client asked for a stream, as far as the body said.</summary>
    public bool Streaming { get; init; }

    /// <summary>The HTTP status of the refusal (400 for a refused WebSocket turn, as its error event says).</summary>
    public required int HttpStatus { get; init; }

    /// <summary>The error code the client received.</summary>
    public required string ErrorCode { get; init; }

    /// <summary>When the request arrived.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>WebSocket mode: the <c>stream_id</c> lane named.</summary>
    public string? StreamId { get; init; }
}
