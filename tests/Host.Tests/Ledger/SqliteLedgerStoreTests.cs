using AkkaProxy.Hosting.Ledger;
using AkkaProxy.Ledger.Sqlite;

namespace AkkaProxy.Host.Tests.Ledger;

/// <summary>The ledger contract on a real SQLite file, and what is SQLite's own: WAL, the version pragma, text times.</summary>
public sealed class SqliteLedgerStoreTests : LedgerStoreContract<SqliteLedgerStorage>
{
    [Fact]
    public async Task TheFile_IsInWalMode_AtTheCodesVersion_WithTimesAsTextAndMilliseconds()
    {
        ILedgerStore store = await OpenAsync();
        await store.WriteAsync([LedgerRecords.Record("req_1")], CancellationToken.None);

        Dictionary<string, object?> row = await Storage.RowAsync("req_1");
        Assert.Equal("0.000123456789", row["cost"]); // decimal text
        Assert.Equal("2026-12-01T09:30:00.1250000Z", row["started_at"]);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 9, 30, 0, 125, TimeSpan.Zero).ToUnixTimeMilliseconds(), row["started_at_ms"]);
        Assert.Equal(1L, row["streaming"]);
        Assert.Equal("wal", LedgerRecords.Scalar(Storage.File, "PRAGMA journal_mode;"));
        Assert.Equal(SqliteLedgerStore.SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), LedgerRecords.Scalar(Storage.File, "PRAGMA user_version;"));
    }
}
