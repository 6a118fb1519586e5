using AkkaProxy.Pipeline.Billing;

namespace AkkaProxy.Hosting.Ledger;

/// <summary>
/// Where billing records are persisted: a SQLite file (<c>SqliteLedgerStore</c>, AkkaProxy.Ledger.Sqlite) or PostgreSQL
/// (<c>PostgresLedgerStore</c>, AkkaProxy.Ledger.Postgres), both held to this contract by the same tests
/// (tests/Host.Tests/Ledger: LedgerStoreContract, LedgerDashboardQueryContract). Every read runs beside the writer and never
/// blocks it; every range is half-open by start time (<see cref="LedgerRange"/>); every cost is summed
/// exactly, as a decimal (a store whose database sums text or floats must sum in its own exact type,
/// e.g. PostgreSQL's <c>numeric</c>), and an unknown cost (null) is counted apart, never as 0.
/// </summary>
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

    /// <summary>
    /// A time series for charts: per <paramref name="bucket"/> (the start time rounded down to a UTC
    /// minute, hour or day) and per group (key id or requested model, by <paramref name="by"/>), the
    /// records' count, input and output tokens and exact cost, aggregated by the database (not by
    /// loading the records). Only buckets with records appear; ordered by bucket, then group (ordinal,
    /// null first).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="by"/> is <see cref="LedgerGrouping.Day"/>: the bucket is the time axis.</exception>
    Task<IReadOnlyList<LedgerSeriesPoint>> SeriesAsync(LedgerGrouping by, LedgerBucket bucket, LedgerRange range, CancellationToken cancellationToken);

    /// <summary>
    /// The <paramref name="limit"/> most expensive priced records in <paramref name="range"/>, the
    /// largest cost first (compared exactly, as decimals), ties newest first, then by request id
    /// descending. Records with an unknown cost are left out.
    /// </summary>
    Task<IReadOnlyList<BillingRecord>> MostExpensiveAsync(LedgerRange range, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// How many records in <paramref name="range"/> ended each way, by each side: one row per
    /// (<see cref="BillingRecord.EndedBy"/>, <see cref="BillingRecord.Outcome"/>) pair that occurs,
    /// counted by the database; ordered by side, then outcome (their kebab-case names, ordinal).
    /// </summary>
    Task<IReadOnlyList<LedgerOutcomeCount>> OutcomesAsync(LedgerRange range, CancellationToken cancellationToken);

    /// <summary>How many records are stored.</summary>
    Task<long> CountAsync(CancellationToken cancellationToken);
}
