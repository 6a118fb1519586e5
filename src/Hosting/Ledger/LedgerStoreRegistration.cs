namespace AkkaProxy.Hosting.Ledger;

/// <summary>
/// A ledger store a package adds to the relay (<c>relay.UseSqliteLedger()</c> from AkkaProxy.Ledger.Sqlite,
/// <c>relay.UsePostgresLedger()</c> from AkkaProxy.Ledger.Postgres); <c>akkaproxy.ledger.store</c> picks
/// one of those added.
/// </summary>
/// <param name="Kind">The store's name in configuration.</param>
/// <param name="Validate">The store's own checks of the ledger's settings: one problem per line, each naming its key.</param>
/// <param name="Create">Makes the store (at start-up, before the server listens).</param>
internal sealed record LedgerStoreRegistration(
    LedgerStoreKind Kind,
    Func<LedgerOptions, IEnumerable<string>> Validate,
    Func<LedgerOptions, IServiceProvider, ILedgerStore> Create)
{
    /// <summary>What a service adds to have the store <paramref name="kind"/>: for the error when configuration names one it did not add.</summary>
    public static string SetupOf(LedgerStoreKind kind) => kind switch
    {
        LedgerStoreKind.Postgresql => "the AkkaProxy.Ledger.Postgres package and relay.UsePostgresLedger() in AddAkkaProxy",
        _ => "the AkkaProxy.Ledger.Sqlite package and relay.UseSqliteLedger() in AddAkkaProxy",
    };
}
