using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Billing;

/// <summary>What one request (or one WebSocket turn) cost. Emitted exactly once to every <see cref="IBillingSink"/>.</summary>
public sealed record BillingRecord
{
    /// <summary>The relay's request id.</summary>
    public required string RequestId { get; init; }

    /// <summary>The relay key's id, or null when the relay needs no key.</summary>
    public string? KeyId { get; init; }

    /// <summary>The API spoken.</summary>
    public required ApiKind Api { get; init; }

    /// <summary>The provider's name; null for a request rejected before it was routed.</summary>
    public required string? Provider { get; init; }

    /// <summary>The model as the client asked for it (<c>openai/gpt-4o</c>); null when the request named none or could not be read.</summary>
    public required string? RequestedModel { get; init; }

    /// <summary>The model sent upstream (<c>gpt-4o</c>); null for a request rejected before it was routed.</summary>
    public required string? UpstreamModel { get; init; }

    /// <summary>The model the upstream reported in its response, when it did.</summary>
    public string? ResponseModel { get; init; }

    /// <summary>The upstream's response id, when seen.</summary>
    public string? ResponseId { get; init; }

    /// <summary>Whether the response was streamed.</summary>
    public required bool Streaming { get; init; }

    /// <summary>Token usage and how much of it was seen.</summary>
    public required TokenUsage Usage { get; init; }

    /// <summary>
    /// Cost in USD; null when the model has no price or the usage cannot be priced (missing, unreadable,
    /// or only a total), never 0 for "unknown". A <see cref="ExchangeOutcome.Rejected"/> request costs 0.
    /// </summary>
    public decimal? Cost { get; init; }

    /// <summary>What the relay saw but did not account (codes of <see cref="UsageWarnings"/>); empty when nothing.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>How the exchange ended.</summary>
    public required ExchangeOutcome Outcome { get; init; }

    /// <summary>Who ended it.</summary>
    public required EndedBy EndedBy { get; init; }

    /// <summary>The HTTP status the client received (101 for WebSocket turns).</summary>
    public int? HttpStatus { get; init; }

    /// <summary>The error, when the outcome is not <see cref="ExchangeOutcome.Completed"/>.</summary>
    public string? ErrorCode { get; init; }

    /// <summary>When the request arrived.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>From arrival to the first byte written to the client; null when none was.</summary>
    public TimeSpan? TimeToFirstByte { get; init; }

    /// <summary>From arrival to the end.</summary>
    public required TimeSpan Duration { get; init; }

    /// <summary>WebSocket mode: the turn number on its socket (1-based).</summary>
    public int? Turn { get; init; }

    /// <summary>WebSocket mode: the <c>previous_response_id</c> the turn chained from.</summary>
    public string? PreviousResponseId { get; init; }

    /// <summary>WebSocket mode: the <c>stream_id</c> lane.</summary>
    public string? StreamId { get; init; }
}
