using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Hosting.Ledger;
using AkkaProxy.Ledger.Sqlite;

namespace AkkaProxy.Host.Tests.Ledger;

/// <summary>A SQLite file in a fresh temporary directory, under a directory the store creates itself.</summary>
public sealed class SqliteLedgerStorage : LedgerTestStorage
{
    private readonly string _directory = RelayTestHost.NewDataDirectory();

    /// <summary>The file.</summary>
    public string File => Path.Combine(_directory, "nested", "usage.db");

    public override Task CreateAsync() => Task.CompletedTask;

    internal override ILedgerStore NewStore() => new SqliteLedgerStore(File);

    public override Task<Dictionary<string, object?>> RowAsync(string requestId) => Task.FromResult(LedgerRecords.ReadRows(File)[requestId]);

    public override Task SetSchemaVersionAsync(int version)
    {
        LedgerRecords.Scalar(File, $"PRAGMA user_version = {version};");
        return Task.CompletedTask;
    }

    public override ValueTask DisposeAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return ValueTask.CompletedTask;
    }
}
