namespace AkkaProxy.Host.Tests.Ledger;

/// <summary>The kill test on PostgreSQL, a database of the test's own: the relay is killed, the server is not.</summary>
public sealed class PostgresLedgerKillTests : LedgerKillContract
{
    private PostgresTestDatabase _database = null!;

    protected override string LedgerHocon => $$"""akkaproxy.ledger { store = postgresql, connection-string = "{{_database.ConnectionString}}" }""";

    protected override async Task CreateStorageAsync() => _database = await PostgresTestDatabase.CreateAsync();

    protected override async Task DeleteStorageAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    protected override Task<Dictionary<string, Dictionary<string, object?>>> ReadRowsAsync() => _database.ReadRowsAsync();
}
