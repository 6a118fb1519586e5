using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Streams;

/// <summary>What an exchange flow materializes: how the response ended, what it used, and its ids.</summary>
public sealed record ExchangeResult
{
    /// <summary>The relay's request id of the exchange.</summary>
    public required string RequestId { get; init; }

    /// <summary>How it ended: <see cref="ExchangeOutcome.Completed"/>, <see cref="ExchangeOutcome.Incomplete"/>, <see cref="ExchangeOutcome.Failed"/> (the upstream reported an error, broke off, or sent an oversize event) or <see cref="ExchangeOutcome.ClientAborted"/> (the flow's downstream cancelled).</summary>
    public required ExchangeOutcome Outcome { get; init; }

    /// <summary>A stable code when the outcome is not <see cref="ExchangeOutcome.Completed"/>.</summary>
    public string? ErrorCode { get; init; }

    /// <summary>The usage seen.</summary>
    public required TokenUsage Usage { get; init; }

    /// <summary>The upstream's response id, when seen.</summary>
    public string? ResponseId { get; init; }

    /// <summary>The model the upstream reported, when seen.</summary>
    public string? ResponseModel { get; init; }

    /// <summary>What was seen but not accounted (<see cref="UsageWarnings"/>).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}
