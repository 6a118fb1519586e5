namespace AkkaProxy.Host.Tests.Ledger;

/// <summary>The kill test on a SQLite file (the test configuration's data directory).</summary>
public sealed class SqliteLedgerKillTests : LedgerKillContract
{
    protected override string LedgerHocon => "";

    protected override Task<Dictionary<string, Dictionary<string, object?>>> ReadRowsAsync() =>
        Task.FromResult(LedgerRecords.ReadRows(Path.Combine(Directory, "ledger", "usage.db")));
}
