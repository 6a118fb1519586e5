namespace AkkaProxy.Hosting.Ledger;

/// <summary>Where the usage ledger keeps its records (<c>akkaproxy.ledger.store</c>).</summary>
internal enum LedgerStoreKind
{
    /// <summary>A SQLite file under <see cref="LedgerOptions.DataDirectory"/> (the default: no external service).</summary>
    Sqlite,

    /// <summary>A PostgreSQL database, reached with <see cref="LedgerOptions.ConnectionString"/> or the variable named by <see cref="LedgerOptions.ConnectionStringEnv"/>.</summary>
    Postgresql,
}
