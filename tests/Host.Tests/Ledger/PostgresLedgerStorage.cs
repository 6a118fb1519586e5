using AkkaProxy.Hosting.Ledger;
using AkkaProxy.Ledger.Postgres;

namespace AkkaProxy.Host.Tests.Ledger;

/// <summary>A fresh PostgreSQL database of the test's own (<see cref="PostgresTestDatabase"/>).</summary>
public sealed class PostgresLedgerStorage : LedgerTestStorage
{
    private PostgresTestDatabase? _database;

    /// <summary>The database.</summary>
    internal PostgresTestDatabase Database => _database ?? throw new InvalidOperationException("The database is created in CreateAsync.");

    public override async Task CreateAsync() => _database = await PostgresTestDatabase.CreateAsync();

    internal override ILedgerStore NewStore() => new PostgresLedgerStore(Database.ConnectionString);

    public override async Task<Dictionary<string, object?>> RowAsync(string requestId) => (await Database.ReadRowsAsync())[requestId];

    public override Task SetSchemaVersionAsync(int version) => Database.ScalarAsync($"UPDATE akkaproxy_ledger_schema SET version = {version}");

    public override async ValueTask DisposeAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
