namespace AkkaProxy.Hosting.Ledger;

/// <summary>One point of a ledger time series: the records of one group that started in one bucket.</summary>
/// <param name="Bucket">The bucket's start (UTC): the records' start time rounded down to the bucket's width.</param>
/// <param name="Group">The relay key's id or the requested model; null for records without one (an open relay, a request that named no model).</param>
/// <param name="Requests">Records (requests and WebSocket turns).</param>
/// <param name="InputTokens">Input tokens, cache reads and writes included.</param>
/// <param name="OutputTokens">Output tokens, reasoning included.</param>
/// <param name="Cost">The sum of the priced records' costs, exact (decimal, never a float).</param>
/// <param name="UnpricedRequests">Records whose cost is unknown: not in <paramref name="Cost"/>.</param>
internal sealed record LedgerSeriesPoint(
    DateTimeOffset Bucket,
    string? Group,
    long Requests,
    long InputTokens,
    long OutputTokens,
    decimal Cost,
    long UnpricedRequests);
