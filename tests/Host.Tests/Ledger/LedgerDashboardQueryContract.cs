using AkkaProxy.Hosting.Ledger;
using AkkaProxy.Pipeline.Billing;

namespace AkkaProxy.Host.Tests.Ledger;

/// <summary>
/// The admin page's reads, on each store (<see cref="SqliteLedgerDashboardQueryTests"/>,
/// <see cref="PostgresLedgerDashboardQueryTests"/>): time series per key and model, the most
/// expensive records, outcomes by side; aggregated by the database, with costs summed and compared
/// exactly.
/// </summary>
public abstract class LedgerDashboardQueryContract<TStorage> : LedgerStorageTest<TStorage>
    where TStorage : LedgerTestStorage, new()
{
    private static readonly DateTimeOffset Nine = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    private static BillingRecord At(string id, DateTimeOffset startedAt, string? key, string model, decimal? cost, long input = 10, long output = 3,
        ExchangeOutcome outcome = ExchangeOutcome.Completed, EndedBy endedBy = EndedBy.Upstream) =>
        LedgerRecords.Record(id, input, cost) with
        {
            StartedAt = startedAt, KeyId = key, RequestedModel = model, Outcome = outcome, EndedBy = endedBy,
            Usage = LedgerRecords.Record(id).Usage with { InputTokens = input, OutputTokens = output },
        };

    [Fact]
    public async Task TheSeries_BucketsByMinuteAndGroupsByKey_WithCostsSummedExactly()
    {
        ILedgerStore store = await OpenAsync();
        await store.WriteAsync(
        [
            At("a1", Nine.AddSeconds(5), "team-a", "m1", 0.1m),
            At("a2", Nine.AddSeconds(59.999), "team-a", "m2", 0.2m, input: 7), // 0.1 + 0.2 as doubles is 0.30000000000000004
            At("b1", Nine.AddSeconds(30), "team-b", "m1", 1m),
            At("b2", Nine.AddSeconds(31), "team-b", "m1", 0.000000000000000001m), // lost beside 1 in a double
            At("b3", Nine.AddMinutes(1), "team-b", "m1", null),
            At("open", Nine.AddMinutes(1).AddSeconds(1), null, "m1", 0.5m),
            At("late", Nine.AddHours(2), "team-a", "m1", 9m),
        ], CancellationToken.None);

        IReadOnlyList<LedgerSeriesPoint> points = await store.SeriesAsync(LedgerGrouping.Key, LedgerBucket.Minute, new LedgerRange(Nine, Nine.AddHours(1)), CancellationToken.None);

        Assert.Equal(
        [
            new LedgerSeriesPoint(Nine, "team-a", 2, 17, 6, 0.3m, 0),
            new LedgerSeriesPoint(Nine, "team-b", 2, 20, 6, 1.000000000000000001m, 0),
            new LedgerSeriesPoint(Nine.AddMinutes(1), null, 1, 10, 3, 0.5m, 0),
            new LedgerSeriesPoint(Nine.AddMinutes(1), "team-b", 1, 10, 3, 0m, 1),
        ], points);
        Assert.Equal("0.3", points[0].Cost.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task TheSeries_ByModelAndHourOrDay_AlignsOnUtc()
    {
        ILedgerStore store = await OpenAsync();
        await store.WriteAsync(
        [
            At("x", Nine.AddMinutes(10), "team-a", "m1", 1.5m),
            At("y", Nine.AddMinutes(50), "team-b", "m1", 2.25m),
            At("z", Nine.AddHours(1), "team-a", "m2", 4m),
        ], CancellationToken.None);
        var all = new LedgerRange(null, null);

        IReadOnlyList<LedgerSeriesPoint> hourly = await store.SeriesAsync(LedgerGrouping.Model, LedgerBucket.Hour, all, CancellationToken.None);
        IReadOnlyList<LedgerSeriesPoint> daily = await store.SeriesAsync(LedgerGrouping.Model, LedgerBucket.Day, all, CancellationToken.None);

        Assert.Equal([new(Nine, "m1", 2, 20, 6, 3.75m, 0), new(Nine.AddHours(1), "m2", 1, 10, 3, 4m, 0)], hourly);
        Assert.Equal([new(Nine.Date, "m1", 2, 20, 6, 3.75m, 0), new(Nine.Date, "m2", 1, 10, 3, 4m, 0)], daily.Select(p => p with { Bucket = p.Bucket.UtcDateTime.Date }));
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), daily[0].Bucket);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.SeriesAsync(LedgerGrouping.Day, LedgerBucket.Hour, all, CancellationToken.None));
    }

    [Fact]
    public async Task TheMostExpensive_AreOrderedByExactCost_NewestFirstOnATie_WithoutUnpricedRecords()
    {
        ILedgerStore store = await OpenAsync();
        await store.WriteAsync(
        [
            At("small", Nine, "team-a", "m1", 0.001m),
            At("big-low", Nine.AddSeconds(1), "team-a", "m1", 1.0000000000000000001m), // equal to the next as doubles
            At("big-high", Nine.AddSeconds(2), "team-b", "m1", 1.0000000000000000002m),
            At("tie-old", Nine.AddSeconds(3), "team-a", "m1", 0.5m),
            At("tie-new", Nine.AddSeconds(4), "team-a", "m1", 0.50m),
            At("unpriced", Nine.AddSeconds(5), "team-a", "m1", null),
            At("ten", Nine.AddSeconds(6), "team-a", "m1", 10m), // 10 sorts before 2 as text
            At("two", Nine.AddSeconds(7), "team-a", "m1", 2m),
            At("outside", Nine.AddHours(3), "team-a", "m1", 100m),
        ], CancellationToken.None);

        IReadOnlyList<BillingRecord> top = await store.MostExpensiveAsync(new LedgerRange(Nine, Nine.AddHours(1)), 6, CancellationToken.None);

        Assert.Equal(["ten", "two", "big-high", "big-low", "tie-new", "tie-old"], top.Select(r => r.RequestId));
        Assert.Equal(1.0000000000000000002m, top[2].Cost);
        Assert.Equal(2, (await store.MostExpensiveAsync(new LedgerRange(null, null), 2, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task TheOutcomes_AreCountedPerSideAndOutcome()
    {
        ILedgerStore store = await OpenAsync();
        await store.WriteAsync(
        [
            At("ok1", Nine, "team-a", "m1", 1m),
            At("ok2", Nine, "team-a", "m1", 1m),
            At("boom", Nine, "team-a", "m1", 0m, outcome: ExchangeOutcome.UpstreamError),
            At("gone", Nine, "team-a", "m1", 0.5m, outcome: ExchangeOutcome.ClientAborted, endedBy: EndedBy.Client),
            At("refused", Nine, "team-a", "m1", 0m, outcome: ExchangeOutcome.Rejected, endedBy: EndedBy.Relay),
            At("refused2", Nine, "team-b", "m1", 0m, outcome: ExchangeOutcome.Rejected, endedBy: EndedBy.Relay),
            At("before", Nine.AddDays(-1), "team-b", "m1", 0m, outcome: ExchangeOutcome.Rejected, endedBy: EndedBy.Relay),
        ], CancellationToken.None);

        IReadOnlyList<LedgerOutcomeCount> counts = await store.OutcomesAsync(new LedgerRange(Nine, null), CancellationToken.None);

        Assert.Equal(
        [
            new LedgerOutcomeCount(EndedBy.Client, ExchangeOutcome.ClientAborted, 1),
            new LedgerOutcomeCount(EndedBy.Relay, ExchangeOutcome.Rejected, 2),
            new LedgerOutcomeCount(EndedBy.Upstream, ExchangeOutcome.Completed, 2),
            new LedgerOutcomeCount(EndedBy.Upstream, ExchangeOutcome.UpstreamError, 1),
        ], counts);
    }

    [Fact]
    public async Task TheInMemoryReads_TheAdminPageUsesWithoutALedger_AnswerAsTheStoreDoes()
    {
        ILedgerStore store = await OpenAsync();
        BillingRecord[] records =
        [
            At("a", Nine.AddSeconds(1), "team-a", "m1", 0.1m),
            At("b", Nine.AddSeconds(2), "team-a", "m2", 0.2m, outcome: ExchangeOutcome.ClientAborted, endedBy: EndedBy.Client),
            At("c", Nine.AddMinutes(3), null, "m1", null, outcome: ExchangeOutcome.UpstreamError),
            At("d", Nine.AddHours(5), "team-b", "m1", 0.50m),
            At("e", Nine.AddHours(5), "team-b", "m1", 0.5m, outcome: ExchangeOutcome.Rejected, endedBy: EndedBy.Relay),
            At("f", Nine.AddDays(2), "team-a", "m2", 3m),
        ];
        await store.WriteAsync(records, CancellationToken.None);

        foreach (LedgerRange range in new[] { new LedgerRange(null, null), new LedgerRange(Nine.AddMinutes(1), Nine.AddDays(1)) })
        {
            foreach (LedgerGrouping by in new[] { LedgerGrouping.Key, LedgerGrouping.Model })
            {
                foreach (LedgerBucket bucket in Enum.GetValues<LedgerBucket>())
                {
                    Assert.Equal(await store.SeriesAsync(by, bucket, range, CancellationToken.None), RecentLedgerReads.Series(records, by, bucket, range));
                }
            }

            Assert.Equal((await store.MostExpensiveAsync(range, 4, CancellationToken.None)).Select(r => r.RequestId), RecentLedgerReads.MostExpensive(records, range, 4).Select(r => r.RequestId));
            Assert.Equal(await store.OutcomesAsync(range, CancellationToken.None), RecentLedgerReads.Outcomes(records, range));
        }
    }
}
