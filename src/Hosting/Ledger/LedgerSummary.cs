namespace AkkaProxy.Hosting.Ledger;

/// <summary>What a ledger summary groups by.</summary>
internal enum LedgerGrouping
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
internal sealed record LedgerSummaryRow(
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
internal sealed record LedgerRange(DateTimeOffset? From, DateTimeOffset? To);

/// <summary>Which records a ledger query returns, newest first, a page at a time.</summary>
/// <param name="KeyId">Only this relay key's records, if set.</param>
/// <param name="Model">Only records for this requested model, if set.</param>
/// <param name="Provider">Only records routed to this provider, if set.</param>
/// <param name="Range">The time range, by start time.</param>
/// <param name="Limit">Most records per page.</param>
/// <param name="Cursor">Where the previous page ended (its <see cref="LedgerPage.NextCursor"/>), if any.</param>
internal sealed record LedgerQuery(string? KeyId, string? Model, string? Provider, LedgerRange Range, int Limit, string? Cursor);

/// <summary>One page of records.</summary>
/// <param name="Records">The records, newest first.</param>
/// <param name="NextCursor">Pass it as the next query's cursor for the records after these; null when there are none.</param>
internal sealed record LedgerPage(IReadOnlyList<AkkaProxy.Pipeline.Billing.BillingRecord> Records, string? NextCursor);
