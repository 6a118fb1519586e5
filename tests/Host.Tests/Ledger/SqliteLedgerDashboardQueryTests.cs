namespace AkkaProxy.Host.Tests.Ledger;

/// <summary>The admin page's reads on a real SQLite file.</summary>
public sealed class SqliteLedgerDashboardQueryTests : LedgerDashboardQueryContract<SqliteLedgerStorage>
{
}
