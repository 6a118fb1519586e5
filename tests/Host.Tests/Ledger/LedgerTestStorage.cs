using AkkaProxy.Hosting.Ledger;

namespace AkkaProxy.Host.Tests.Ledger;

/// <summary>
/// One test's storage for a ledger store (a SQLite file, a PostgreSQL database): created before the
/// test, deleted after; it makes stores over itself and reads their rows back its own way. The
/// contract tests (<see cref="LedgerStoreContract{TStorage}"/>) run on each kind.
/// </summary>
public abstract class LedgerTestStorage : IAsyncDisposable
{
    /// <summary>Creates the empty storage.</summary>
    public abstract Task CreateAsync();

    /// <summary>A new store over this storage, not yet initialized.</summary>
    internal abstract ILedgerStore NewStore();

    /// <summary>The stored row of <paramref name="requestId"/>, column name → value as the storage returns it.</summary>
    public abstract Task<Dictionary<string, object?>> RowAsync(string requestId);

    /// <summary>Marks the storage as written by a newer relay (schema <paramref name="version"/>).</summary>
    public abstract Task SetSchemaVersionAsync(int version);

    /// <summary>Deletes the storage.</summary>
    public abstract ValueTask DisposeAsync();
}
