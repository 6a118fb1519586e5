using AkkaProxy.Host.Ledger;
using AkkaProxy.Host.Tests.TestKit;

namespace AkkaProxy.Host.Tests.Ledger;

/// <summary>The ledger contract on a real SQLite file (in a directory the store creates), and what is SQLite's own: WAL, the version pragma, text times.</summary>
public sealed class SqliteLedgerStoreTests : LedgerStoreContract
{
    private readonly string _directory = RelayTestHost.NewDataDirectory();

    private string File => Path.Combine(_directory, "nested", "usage.db");

    protected override Task CreateStorageAsync() => Task.CompletedTask;

    private protected override ILedgerStore NewStore() => new SqliteLedgerStore(File);

    protected override Task<Dictionary<string, object?>> RowAsync(string requestId) =>
        Task.FromResult(LedgerRecords.ReadRows(File)[requestId]);

    protected override Task SetSchemaVersionAsync(int version)
    {
        LedgerRecords.Scalar(File, $"PRAGMA user_version = {version};");
        return Task.CompletedTask;
    }

    protected override Task DeleteStorageAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task TheFile_IsInWalMode_AtTheCodesVersion_WithTimesAsTextAndMilliseconds()
    {
        ILedgerStore store = await OpenAsync();
        await store.WriteAsync([LedgerRecords.Record("req_1")], CancellationToken.None);

        Dictionary<string, object?> row = await RowAsync("req_1");
        Assert.Equal("0.000123456789", row["cost"]); // decimal text
        Assert.Equal("2026-12-01T09:30:00.1250000Z", row["started_at"]);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 9, 30, 0, 125, TimeSpan.Zero).ToUnixTimeMilliseconds(), row["started_at_ms"]);
        Assert.Equal(1L, row["streaming"]);
        Assert.Equal("wal", LedgerRecords.Scalar(File, "PRAGMA journal_mode;"));
        Assert.Equal(SqliteLedgerStore.SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), LedgerRecords.Scalar(File, "PRAGMA user_version;"));
    }
}
