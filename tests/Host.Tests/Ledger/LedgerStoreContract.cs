using System.Globalization;
using System.Text.Json;
using AkkaProxy.Hosting.Ledger;
using AkkaProxy.Ledger.Postgres;
using AkkaProxy.Ledger.Sqlite;
using AkkaProxy.Pipeline.Billing;

namespace AkkaProxy.Host.Tests.Ledger;

/// <summary>
/// What every ledger store does alike, proven on each (<see cref="SqliteLedgerStoreTests"/>,
/// <see cref="PostgresLedgerStoreTests"/>) on real storage: a row per record with every figure,
/// idempotent batches, reopening, a newer schema refused, queries, pages and cursors, summaries
/// with exact costs. <typeparamref name="TStorage"/> is the test's storage, fresh for each test.
/// </summary>
public abstract class LedgerStoreContract<TStorage> : LedgerStorageTest<TStorage>
    where TStorage : LedgerTestStorage, new()
{
    [Fact]
    public async Task ARecord_IsStoredAsOneRow_WithEveryFigure()
    {
        ILedgerStore store = await OpenAsync();
        Assert.Equal(1, await store.WriteAsync([LedgerRecords.Record("req_1")], CancellationToken.None));

        Dictionary<string, object?> row = await Storage.RowAsync("req_1");
        Assert.Equal("team-a", row["key_id"]);
        Assert.Equal("responses", row["api"]);
        Assert.Equal("openai/gpt-4o", row["requested_model"]);
        Assert.Equal(100L, row["input_tokens"]);
        Assert.Equal(40L, row["cached_input_tokens"]);
        Assert.Equal(25L, row["output_tokens"]);
        Assert.Equal(5L, row["reasoning_tokens"]);
        Assert.Equal("reported", row["usage_status"]);
        Assert.Equal("0.000123456789", Convert.ToString(row["cost"], CultureInfo.InvariantCulture)); // exact, never a float
        Assert.Equal("client-aborted", row["outcome"]);
        Assert.Equal("client", row["ended_by"]);
        Assert.Equal("upstream_malformed_event", row["warnings"]);
        Assert.Equal(340.25, row["duration_ms"]);
        Assert.Equal(3, Convert.ToInt32(row["turn"], CultureInfo.InvariantCulture));
        Assert.Equal("agent_1", row["stream_id"]);
        Assert.Equal(1L, await store.CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task RowsOfOneBatch_KeepTheirOwnValues_WhenColumnsAlternateBetweenValuesAndNulls()
    {
        // The SQLite store binds only what changed from the previous row: a value, then null, then the
        // value again, and one column changing alone, must each come back as written.
        ILedgerStore store = await OpenAsync();
        BillingRecord full = LedgerRecords.Record("alt_1");
        BillingRecord bare = LedgerRecords.Record("alt_2", cost: null) with { KeyId = null, StreamId = null, Turn = null, TimeToFirstByte = null, Warnings = [] };
        BillingRecord again = LedgerRecords.Record("alt_3");
        BillingRecord oneChanged = LedgerRecords.Record("alt_4", input: 7);
        Assert.Equal(4, await store.WriteAsync([full, bare, again, oneChanged], CancellationToken.None));

        LedgerPage page = await store.QueryAsync(new LedgerQuery(null, null, null, new LedgerRange(null, null), 10, null), CancellationToken.None);
        Dictionary<string, BillingRecord> read = page.Records.ToDictionary(r => r.RequestId);
        Assert.Equal(Json(full), Json(read["alt_1"]));
        Assert.Equal(Json(bare), Json(read["alt_2"]));
        Assert.Equal(Json(again), Json(read["alt_3"]));
        Assert.Equal(Json(oneChanged), Json(read["alt_4"]));

        static string Json(BillingRecord record) => JsonSerializer.Serialize(record, AkkaProxy.Hosting.Endpoints.AdminEndpoints.RecordJson);
    }

    [Fact]
    public async Task ABatchWrittenTwice_CountsOnce_AndANullCostStaysNull()
    {
        ILedgerStore store = await OpenAsync();
        var batch = LedgerRecords.Records("retry", 10).Append(LedgerRecords.Record("unpriced", cost: null)).ToList();

        Assert.Equal(11, await store.WriteAsync(batch, CancellationToken.None));
        Assert.Equal(0, await store.WriteAsync(batch, CancellationToken.None)); // a retried batch
        Assert.Equal(1, await store.WriteAsync([.. batch, LedgerRecords.Record("new")], CancellationToken.None));

        Assert.Equal(12, await store.CountAsync(CancellationToken.None));
        Assert.Null((await Storage.RowAsync("unpriced"))["cost"]);
    }

    [Fact]
    public async Task AnExistingStore_IsOpenedAsItIs_AndANewerSchemaIsRefused()
    {
        ILedgerStore first = await OpenAsync();
        await first.WriteAsync(LedgerRecords.Records("kept", 3), CancellationToken.None);
        await CloseAsync(first);

        ILedgerStore second = await OpenAsync();
        Assert.Equal(3, await second.CountAsync(CancellationToken.None));
        await CloseAsync(second);

        await Storage.SetSchemaVersionAsync(99);
        ILedgerStore newer = NewStore();
        InvalidOperationException refused = await Assert.ThrowsAsync<InvalidOperationException>(() => newer.InitializeAsync(CancellationToken.None));
        Assert.Contains("99", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AQuery_FiltersByKey_PagesNewestFirst_WithoutOverlap_AndGivesTheRecordsBackWhole()
    {
        ILedgerStore store = await OpenAsync();
        DateTimeOffset start = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
        BillingRecord[] written =
        [
            .. Enumerable.Range(0, 25).Select(i => LedgerRecords.Record($"req_{i:D2}", input: i) with
            {
                KeyId = i % 5 == 0 ? "ci" : "team-a",
                StartedAt = start.AddSeconds(i),
            }),
        ];
        await store.WriteAsync(written, CancellationToken.None);

        List<BillingRecord> seen = await AllPagesAsync(store, new LedgerQuery("team-a", null, null, new LedgerRange(null, null), 7, null));

        Assert.Equal(written.Where(r => r.KeyId == "team-a").OrderByDescending(r => r.StartedAt).Select(r => r.RequestId), seen.Select(r => r.RequestId));
        BillingRecord original = written.Single(r => r.RequestId == "req_07");
        BillingRecord back = seen.Single(r => r.RequestId == "req_07");
        Assert.Equal(JsonSerializer.Serialize(original), JsonSerializer.Serialize(back));
        LedgerPage ranged = await store.QueryAsync(new LedgerQuery(null, "openai/gpt-4o", "openai", new LedgerRange(start.AddSeconds(10), start.AddSeconds(12)), 100, null), CancellationToken.None);
        Assert.Equal(["req_11", "req_10"], ranged.Records.Select(r => r.RequestId));
        Assert.Empty((await store.QueryAsync(new LedgerQuery(null, null, "anthropic", new LedgerRange(null, null), 100, null), CancellationToken.None)).Records);
        await Assert.ThrowsAsync<FormatException>(() => store.QueryAsync(new LedgerQuery(null, null, null, new LedgerRange(null, null), 5, "not-a-cursor"), CancellationToken.None));
    }

    [Fact]
    public async Task RecordsStartedInTheSameMillisecond_ArePagedByRequestId_NoneLostOrRepeated()
    {
        ILedgerStore store = await OpenAsync();
        DateTimeOffset same = new(2026, 12, 1, 9, 0, 0, 500, TimeSpan.Zero);
        BillingRecord[] written =
        [
            .. new[] { "req_b", "req_A", "req_a", "req_0", "req_B", "req_z", "req_9" }.Select(id => LedgerRecords.Record(id) with { StartedAt = same }),
            LedgerRecords.Record("req_later") with { StartedAt = same.AddTicks(TimeSpan.TicksPerMillisecond) },
        ];
        await store.WriteAsync(written, CancellationToken.None);

        List<BillingRecord> seen = await AllPagesAsync(store, new LedgerQuery(null, null, null, new LedgerRange(null, null), 2, null));

        // Newest first, then by request id byte by byte (ordinal), descending: the cursor's order.
        string[] expected = ["req_later", .. written.Take(7).Select(r => r.RequestId).OrderDescending(StringComparer.Ordinal)];
        Assert.Equal(expected, seen.Select(r => r.RequestId));
    }

    [Fact]
    public async Task TheSummary_GroupsByKeyModelAndDay_SumsCostsExactly_AndCountsUnpricedApart()
    {
        ILedgerStore store = await OpenAsync();
        DateTimeOffset day1 = new(2026, 11, 30, 23, 59, 59, 999, TimeSpan.Zero);
        DateTimeOffset day2 = day1.AddMilliseconds(1);
        BillingRecord[] written =
        [
            // 0.1 + 0.2 + ... : exact in decimal, not in binary floating point.
            .. Enumerable.Range(0, 10).Select(i => LedgerRecords.Record($"a_{i}", input: 10) with { Cost = 0.1m, StartedAt = day1 }),
            LedgerRecords.Record("a_unpriced", input: 7, cost: null) with { StartedAt = day2 },
            .. Enumerable.Range(0, 3).Select(i => LedgerRecords.Record($"b_{i}", input: 1) with { KeyId = "team-b", RequestedModel = "claude-sonnet-4-5", Cost = 0.000000000001m, StartedAt = day2 }),
            LedgerRecords.Record("open", input: 2) with { KeyId = null, Cost = 5m, StartedAt = day2 },
        ];
        await store.WriteAsync(written, CancellationToken.None);

        IReadOnlyList<LedgerSummaryRow> byKey = await store.SummarizeAsync(LedgerGrouping.Key, new LedgerRange(null, null), CancellationToken.None);
        Assert.Equal([null, "team-a", "team-b"], byKey.Select(row => row.Group)); // the largest cost first
        LedgerSummaryRow teamA = byKey[1];
        Assert.Equal(new LedgerSummaryRow("team-a", 11, 107, 11 * 40, 0, 11 * 25, 11 * 5, 1.0m, 1), teamA);
        Assert.Equal(0.000000000003m, byKey[2].Cost);
        Assert.Equal(5m, byKey[0].Cost);

        IReadOnlyList<LedgerSummaryRow> byModel = await store.SummarizeAsync(LedgerGrouping.Model, new LedgerRange(null, null), CancellationToken.None);
        Assert.Equal([("openai/gpt-4o", 12L), ("claude-sonnet-4-5", 3L)], byModel.Select(row => (row.Group!, row.Requests)));

        IReadOnlyList<LedgerSummaryRow> byDay = await store.SummarizeAsync(LedgerGrouping.Day, new LedgerRange(null, null), CancellationToken.None);
        Assert.Equal([("2026-12-01", 5L), ("2026-11-30", 10L)], byDay.Select(row => (row.Group!, row.Requests)));

        IReadOnlyList<LedgerSummaryRow> ranged = await store.SummarizeAsync(LedgerGrouping.Key, new LedgerRange(day2, null), CancellationToken.None);
        Assert.Equal([(null, 1L), ("team-b", 3L), ("team-a", 1L)], ranged.Select(row => (row.Group, row.Requests)));
        Assert.Empty(await store.SummarizeAsync(LedgerGrouping.Key, new LedgerRange(day1, day1), CancellationToken.None));
    }

    private static async Task<List<BillingRecord>> AllPagesAsync(ILedgerStore store, LedgerQuery first)
    {
        var seen = new List<BillingRecord>();
        string? cursor = null;
        int pages = 0;
        do
        {
            LedgerPage page = await store.QueryAsync(first with { Cursor = cursor }, CancellationToken.None);
            Assert.True(page.Records.Count <= first.Limit);
            seen.AddRange(page.Records);
            cursor = page.NextCursor;
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(Math.Max(1, (seen.Count + first.Limit - 1) / first.Limit), pages);
        return seen;
    }
}
