using AkkaProxy.Hosting.Ledger;
using AkkaProxy.Ledger.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AkkaProxy.Hosting;

/// <summary>Adds the SQLite usage ledger to a relay: <c>builder.AddAkkaProxy(relay => relay.UseSqliteLedger())</c>.</summary>
public static class SqliteLedgerExtensions
{
    /// <summary>
    /// Keeps every billing record in a SQLite file (WAL mode) when <c>akkaproxy.ledger.store = sqlite</c>,
    /// the default: <c>akkaproxy.ledger.file-name</c> in <c>akkaproxy.ledger.data-directory</c>, under the
    /// host's content root when relative. One relay process per file: the store holds
    /// <c>&lt;file&gt;.lock</c>, and a second process on the same file stops at start-up with a
    /// <see cref="LedgerInUseException"/> (relays that share a ledger use PostgreSQL).
    /// </summary>
    /// <param name="relay">The relay's options.</param>
    /// <returns>The same options.</returns>
    public static AkkaProxyOptions UseSqliteLedger(this AkkaProxyOptions relay)
    {
        ArgumentNullException.ThrowIfNull(relay);
        return relay.AddLedgerStore(new LedgerStoreRegistration(
            LedgerStoreKind.Sqlite,
            _ => [],
            (ledger, services) =>
            {
                string file = Path.Combine(Path.GetFullPath(ledger.DataDirectory, services.GetRequiredService<IHostEnvironment>().ContentRootPath), ledger.FileName);
                services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(LedgerWriter).FullName!).LogInformation("Usage ledger: SQLite file {File}.", file);
                return new SqliteLedgerStore(file);
            }));
    }
}
