using AkkaProxy.Hosting.Ledger;
using AkkaProxy.Ledger.Postgres;

namespace AkkaProxy.Host.Tests.Ledger;

/// <summary>
/// The ledger contract on a real PostgreSQL server, a fresh database per test, and what is
/// PostgreSQL's own: column types, the version table, relays starting together on one database.
/// </summary>
public sealed class PostgresLedgerStoreTests : LedgerStoreContract<PostgresLedgerStorage>
{
    [Fact]
    public async Task TheTable_KeepsMoneyAsNumeric_TimesAsTimestamptz_AtTheCodesVersion()
    {
        ILedgerStore store = await OpenAsync();
        await store.WriteAsync([LedgerRecords.Record("req_1")], CancellationToken.None);

        Dictionary<string, object?> row = await Storage.RowAsync("req_1");
        Assert.Equal(0.000123456789m, row["cost"]);
        Assert.Equal(new DateTime(2026, 12, 1, 9, 30, 0, 125, DateTimeKind.Utc), row["started_at"]);
        Assert.Equal(true, row["streaming"]);
        Assert.Equal("numeric", await Storage.Database.ScalarAsync("SELECT data_type FROM information_schema.columns WHERE table_name = 'usage_records' AND column_name = 'cost'"));
        Assert.Equal((long)PostgresLedgerStore.SchemaVersion, Convert.ToInt64(await Storage.Database.ScalarAsync("SELECT version FROM akkaproxy_ledger_schema"), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task RelaysStartingTogether_OnOneDatabase_MigrateItOnce()
    {
        ILedgerStore[] stores = [.. Enumerable.Range(0, 4).Select(_ => NewStore())];

        await Task.WhenAll(stores.Select(store => store.InitializeAsync(CancellationToken.None)));

        Assert.Equal(1L, await Storage.Database.ScalarAsync("SELECT count(*) FROM akkaproxy_ledger_schema"));
        Assert.Equal(1, await stores[3].WriteAsync([LedgerRecords.Record("req_1")], CancellationToken.None));
        Assert.Equal(1L, await stores[0].CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task AServerThatCannotBeReached_FailsTheStart_NamingTheDatabaseButNotThePassword()
    {
        // Port 1 on loopback: nothing listens there, the connection is refused at once.
        await using var store = new PostgresLedgerStore("Host=127.0.0.1;Port=1;Database=ledger;Username=relay;Password=hunter2-secret;Timeout=5");

        InvalidOperationException refused = await Assert.ThrowsAsync<InvalidOperationException>(() => store.InitializeAsync(CancellationToken.None));

        Assert.Contains("Port=1", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Database=ledger", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2-secret", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AConnectionStringWithoutAHost_IsRefused_WithoutEchoingThePassword()
    {
        InvalidOperationException refused = Assert.Throws<InvalidOperationException>(() => new PostgresLedgerStore("Username=relay;Password=hunter2-secret"));
        Assert.Contains("Host", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2-secret", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", PostgresLedgerSchema.Describe("Host=db;Username=relay;Password=hunter2"), StringComparison.Ordinal);
    }
}
