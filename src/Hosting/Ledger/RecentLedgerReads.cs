using AkkaProxy.Pipeline.Billing;

namespace AkkaProxy.Hosting.Ledger;

/// <summary>
/// The admin page's reads (<see cref="ILedgerStore.SeriesAsync"/>, <see cref="ILedgerStore.MostExpensiveAsync"/>,
/// <see cref="ILedgerStore.OutcomesAsync"/>) over records held in memory, with the same contracts:
/// what the page shows when the ledger is off, from this process's recent records.
/// </summary>
internal static class RecentLedgerReads
{
    /// <summary>As <see cref="ILedgerStore.SeriesAsync"/>.</summary>
    public static IReadOnlyList<LedgerSeriesPoint> Series(IEnumerable<BillingRecord> records, LedgerGrouping by, LedgerBucket bucket, LedgerRange range)
    {
        Func<BillingRecord, string?> group = by switch
        {
            LedgerGrouping.Key => r => r.KeyId,
            LedgerGrouping.Model => r => r.RequestedModel,
            _ => throw new ArgumentOutOfRangeException(nameof(by), by, "A series groups by key or model; its buckets are the time axis."),
        };
        long width = bucket switch
        {
            LedgerBucket.Minute => 60_000,
            LedgerBucket.Hour => 3_600_000,
            _ => 86_400_000,
        };
        return [.. In(records, range)
            .GroupBy(r => (Bucket: r.StartedAt.ToUnixTimeMilliseconds() / width * width, Group: group(r)))
            .Select(g => new LedgerSeriesPoint(
                DateTimeOffset.FromUnixTimeMilliseconds(g.Key.Bucket), g.Key.Group, g.LongCount(),
                g.Sum(r => r.Usage.InputTokens), g.Sum(r => r.Usage.OutputTokens),
                g.Sum(r => r.Cost ?? 0m), g.LongCount(r => r.Cost is null)))
            .OrderBy(p => p.Bucket).ThenBy(p => p.Group, StringComparer.Ordinal)];
    }

    /// <summary>As <see cref="ILedgerStore.MostExpensiveAsync"/>.</summary>
    public static IReadOnlyList<BillingRecord> MostExpensive(IEnumerable<BillingRecord> records, LedgerRange range, int limit) =>
        [.. In(records, range).Where(r => r.Cost is not null)
            .OrderByDescending(r => r.Cost).ThenByDescending(r => r.StartedAt.ToUnixTimeMilliseconds()).ThenByDescending(r => r.RequestId, StringComparer.Ordinal)
            .Take(Math.Max(0, limit))];

    /// <summary>As <see cref="ILedgerStore.OutcomesAsync"/>.</summary>
    public static IReadOnlyList<LedgerOutcomeCount> Outcomes(IEnumerable<BillingRecord> records, LedgerRange range) =>
        [.. In(records, range)
            .GroupBy(r => (r.EndedBy, r.Outcome))
            .Select(g => new LedgerOutcomeCount(g.Key.EndedBy, g.Key.Outcome, g.LongCount()))
            .OrderBy(c => LedgerNames<EndedBy>.Of(c.EndedBy), StringComparer.Ordinal).ThenBy(c => LedgerNames<ExchangeOutcome>.Of(c.Outcome), StringComparer.Ordinal)];

    private static IEnumerable<BillingRecord> In(IEnumerable<BillingRecord> records, LedgerRange range) =>
        records.Where(r => (range.From is not { } from || r.StartedAt.ToUnixTimeMilliseconds() >= from.ToUnixTimeMilliseconds())
            && (range.To is not { } to || r.StartedAt.ToUnixTimeMilliseconds() < to.ToUnixTimeMilliseconds()));
}
