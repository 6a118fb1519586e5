namespace AkkaProxy.Host.Tests.Ledger;

/// <summary>The admin page's reads on a real PostgreSQL server, a fresh database per test.</summary>
public sealed class PostgresLedgerDashboardQueryTests : LedgerDashboardQueryContract<PostgresLedgerStorage>
{
}
