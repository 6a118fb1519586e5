namespace AkkaProxy.Host.Ledger;

/// <summary>What a ledger summary groups by.</summary>
public enum LedgerGrouping
{
    /// <summary>The relay key's id (null: the relay ran open).</summary>
    Key,

    /// <summary>The model the client asked for.</summary>
    Model,

    /// <summary>The UTC day the request started.</summary>
    Day,
}

/// <summary>One group of a ledger summary: its requests' tokens and cost.</summary>
/// <param name="Group">The key id, the model, or the day (<c>yyyy-MM-dd</c>, UTC); null for records without one.</param>
/// <param name="Requests">Records (requests and WebSocket turns).</param>
/// <param name="InputTokens">Input tokens, cache reads and writes included.</param>
/// <param name="CachedInputTokens">Input tokens read from the cache.</param>
/// <param name="CacheWriteTokens">Input tokens written to the cache.</param>
/// <param name="OutputTokens">Output tokens, reasoning included.</param>
/// <param name="ReasoningTokens">Reasoning tokens.</param>
/// <param name="Cost">The sum of the priced records' costs, exact.</param>
/// <param name="UnpricedRequests">Records whose cost is unknown (no price, or usage missing): not in <paramref name="Cost"/>.</param>
public sealed record LedgerSummaryRow(
    string? Group,
    long Requests,
    long InputTokens,
    long CachedInputTokens,
    long CacheWriteTokens,
    long OutputTokens,
    long ReasoningTokens,
    decimal Cost,
    long UnpricedRequests);

/// <summary>Which records a summary covers: a half-open time range, by start time.</summary>
/// <param name="From">Records started at or after this, if set.</param>
/// <param name="To">Records started before this, if set.</param>
public sealed record LedgerRange(DateTimeOffset? From, DateTimeOffset? To);
