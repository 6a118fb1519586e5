using AkkaProxy.Host.Ledger;
using AkkaProxy.Host.Tests.TestKit;

namespace AkkaProxy.Host.Tests.Ledger;

/// <summary>The SQLite ledger on a real file: schema, WAL, a row per record, idempotent batches, reopening.</summary>
public sealed class SqliteLedgerStoreTests : IDisposable
{
    private readonly string _directory = RelayTestHost.NewDataDirectory();

    private string File => Path.Combine(_directory, "nested", "usage.db");

    [Fact]
    public async Task ARecord_IsStoredAsOneRow_WithEveryFigure_AndTheFileIsInWalMode()
    {
        await using (var store = new SqliteLedgerStore(File))
        {
            await store.InitializeAsync(CancellationToken.None);
            Assert.Equal(1, await store.WriteAsync([LedgerRecords.Record("req_1")], CancellationToken.None));
        }

        Dictionary<string, object?> row = LedgerRecords.ReadRows(File)["req_1"];
        Assert.Equal("team-a", row["key_id"]);
        Assert.Equal("responses", row["api"]);
        Assert.Equal("openai/gpt-4o", row["requested_model"]);
        Assert.Equal(100L, row["input_tokens"]);
        Assert.Equal(40L, row["cached_input_tokens"]);
        Assert.Equal(25L, row["output_tokens"]);
        Assert.Equal(5L, row["reasoning_tokens"]);
        Assert.Equal("reported", row["usage_status"]);
        Assert.Equal("0.000123456789", row["cost"]); // exact: decimal text, never a float
        Assert.Equal("client-aborted", row["outcome"]);
        Assert.Equal("client", row["ended_by"]);
        Assert.Equal("upstream_malformed_event", row["warnings"]);
        Assert.Equal("2026-12-01T09:30:00.1250000Z", row["started_at"]);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 9, 30, 0, 125, TimeSpan.Zero).ToUnixTimeMilliseconds(), row["started_at_ms"]);
        Assert.Equal(340.25, row["duration_ms"]);
        Assert.Equal(3L, row["turn"]);
        Assert.Equal("agent_1", row["stream_id"]);
        Assert.Equal("wal", LedgerRecords.Scalar(File, "PRAGMA journal_mode;"));
        Assert.Equal(SqliteLedgerStore.SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), LedgerRecords.Scalar(File, "PRAGMA user_version;"));
    }

    [Fact]
    public async Task ABatchWrittenTwice_CountsOnce_AndANullCostStaysNull()
    {
        await using var store = new SqliteLedgerStore(File);
        await store.InitializeAsync(CancellationToken.None);
        var batch = LedgerRecords.Records("retry", 10).Append(LedgerRecords.Record("unpriced", cost: null)).ToList();

        Assert.Equal(11, await store.WriteAsync(batch, CancellationToken.None));
        Assert.Equal(0, await store.WriteAsync(batch, CancellationToken.None)); // a retried batch
        Assert.Equal(1, await store.WriteAsync([.. batch, LedgerRecords.Record("new")], CancellationToken.None));

        Assert.Equal(12, await store.CountAsync(CancellationToken.None));
        Assert.Null(LedgerRecords.ReadRows(File)["unpriced"]["cost"]);
    }

    [Fact]
    public async Task AnExistingFile_IsOpenedAsItIs_AndANewerSchemaIsRefused()
    {
        await using (var first = new SqliteLedgerStore(File))
        {
            await first.InitializeAsync(CancellationToken.None);
            await first.WriteAsync(LedgerRecords.Records("kept", 3), CancellationToken.None);
        }

        await using (var second = new SqliteLedgerStore(File))
        {
            await second.InitializeAsync(CancellationToken.None);
            Assert.Equal(3, await second.CountAsync(CancellationToken.None));
        }

        LedgerRecords.Scalar(File, "PRAGMA user_version = 99;");
        await using var newer = new SqliteLedgerStore(File);
        InvalidOperationException refused = await Assert.ThrowsAsync<InvalidOperationException>(() => newer.InitializeAsync(CancellationToken.None));
        Assert.Contains("99", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AQuery_FiltersByKey_PagesNewestFirst_WithoutOverlap_AndGivesTheRecordsBackWhole()
    {
        await using var store = new SqliteLedgerStore(File);
        await store.InitializeAsync(CancellationToken.None);
        DateTimeOffset start = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
        AkkaProxy.Pipeline.Billing.BillingRecord[] written =
        [
            .. Enumerable.Range(0, 25).Select(i => LedgerRecords.Record($"req_{i:D2}", input: i) with
            {
                KeyId = i % 5 == 0 ? "ci" : "team-a",
                StartedAt = start.AddSeconds(i),
            }),
        ];
        await store.WriteAsync(written, CancellationToken.None);

        var seen = new List<AkkaProxy.Pipeline.Billing.BillingRecord>();
        string? cursor = null;
        int pages = 0;
        do
        {
            LedgerPage page = await store.QueryAsync(new LedgerQuery("team-a", null, null, new LedgerRange(null, null), 7, cursor), CancellationToken.None);
            seen.AddRange(page.Records);
            cursor = page.NextCursor;
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(3, pages); // 20 records of team-a, 7 a page
        Assert.Equal(written.Where(r => r.KeyId == "team-a").OrderByDescending(r => r.StartedAt).Select(r => r.RequestId), seen.Select(r => r.RequestId));
        var original = written.Single(r => r.RequestId == "req_07");
        var back = seen.Single(r => r.RequestId == "req_07");
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(original), System.Text.Json.JsonSerializer.Serialize(back));
        LedgerPage ranged = await store.QueryAsync(new LedgerQuery(null, "openai/gpt-4o", "openai", new LedgerRange(start.AddSeconds(10), start.AddSeconds(12)), 100, null), CancellationToken.None);
        Assert.Equal(["req_11", "req_10"], ranged.Records.Select(r => r.RequestId));
        await Assert.ThrowsAsync<FormatException>(() => store.QueryAsync(new LedgerQuery(null, null, null, new LedgerRange(null, null), 5, "not-a-cursor"), CancellationToken.None));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
