using AkkaProxy.Pipeline.Billing;

namespace AkkaProxy.Host.Ledger;

/// <summary>Where billing records are persisted: a SQLite file (<see cref="SqliteLedgerStore"/>) or PostgreSQL (<see cref="PostgresLedgerStore"/>); every store keeps this contract alike (tests/Host.Tests/Ledger/LedgerStoreContract).</summary>
internal interface ILedgerStore : IAsyncDisposable
{
    /// <summary>Creates or migrates the schema.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Writes a batch in one transaction; a record whose request id is already stored is skipped, so a
    /// retried batch never counts twice. Once this returns, the batch survives the process being killed.
    /// </summary>
    /// <returns>How many records were new.</returns>
    Task<int> WriteAsync(IReadOnlyList<BillingRecord> batch, CancellationToken cancellationToken);

    /// <summary>Tokens and cost per key, model or day over <paramref name="range"/>, the largest cost first; reads beside the writer, never blocking it.</summary>
    Task<IReadOnlyList<LedgerSummaryRow>> SummarizeAsync(LedgerGrouping by, LedgerRange range, CancellationToken cancellationToken);

    /// <summary>One page of records matching <paramref name="query"/>, newest first; reads beside the writer.</summary>
    /// <exception cref="FormatException">The query's cursor is not one this ledger gave.</exception>
    Task<LedgerPage> QueryAsync(LedgerQuery query, CancellationToken cancellationToken);

    /// <summary>How many records are stored.</summary>
    Task<long> CountAsync(CancellationToken cancellationToken);
}
