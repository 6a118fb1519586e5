using AkkaProxy.Hosting.Ledger;
using AkkaProxy.Ledger.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AkkaProxy.Hosting;

/// <summary>Adds the PostgreSQL usage ledger to a relay: <c>builder.AddAkkaProxy(relay => relay.UsePostgresLedger())</c>.</summary>
public static class PostgresLedgerExtensions
{
    /// <summary>
    /// Keeps every billing record in a PostgreSQL database when <c>akkaproxy.ledger.store = postgresql</c>:
    /// the one <c>akkaproxy.ledger.connection-string</c> names, or the environment variable named by
    /// <c>connection-string-env</c> (<c>AKKAPROXY_LEDGER_CONNECTION</c>). Its schema is created or
    /// migrated at start-up; a connection string that does not read stops the start, without echoing
    /// its password.
    /// </summary>
    /// <param name="relay">The relay's options.</param>
    /// <returns>The same options.</returns>
    public static AkkaProxyOptions UsePostgresLedger(this AkkaProxyOptions relay)
    {
        ArgumentNullException.ThrowIfNull(relay);
        return relay.AddLedgerStore(new LedgerStoreRegistration(
            LedgerStoreKind.Postgresql,
            Validate,
            (ledger, services) =>
            {
                var store = new PostgresLedgerStore(ledger.ResolveConnectionString() ?? "");
                services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(LedgerWriter).FullName!).LogInformation("Usage ledger: PostgreSQL ({Database}).", store.Description);
                return store;
            }));
    }

    private static IEnumerable<string> Validate(LedgerOptions ledger)
    {
        try
        {
            PostgresLedgerStore.CheckConnectionString(ledger.ResolveConnectionString(), ledger.ConnectionStringEnv);
            return [];
        }
        catch (InvalidOperationException ex)
        {
            return [ex.Message];
        }
    }
}
