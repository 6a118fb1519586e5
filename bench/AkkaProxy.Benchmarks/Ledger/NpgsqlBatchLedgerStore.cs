using AkkaProxy.Hosting.Ledger;
using AkkaProxy.Ledger.Postgres;
using AkkaProxy.Pipeline.Billing;
using Npgsql;

namespace AkkaProxy.Benchmarks.Ledger;

/// <summary>
/// The alternative to <see cref="PostgresLedgerStore"/>'s unnest insert, for the benchmark only: the
/// same table, a batch written as an <see cref="NpgsqlBatch"/> of one prepared single-row
/// <c>INSERT ... ON CONFLICT DO NOTHING</c> per record (one round trip, one implicit transaction).
/// Reads and the schema are the real store's.
/// </summary>
internal sealed class NpgsqlBatchLedgerStore(string connectionString) : ILedgerStore
{
    private static readonly string Insert =
        $"INSERT INTO usage_records ({PostgresLedgerSchema.SelectList}) VALUES ({string.Join(", ", PostgresLedgerSchema.Columns.Select((_, i) => "$" + (i + 1)))}) ON CONFLICT (request_id) DO NOTHING";

    private readonly PostgresLedgerStore _real = new(connectionString);
    private readonly NpgsqlDataSource _source = NpgsqlDataSource.Create(connectionString);

    public Task InitializeAsync(CancellationToken cancellationToken) => _real.InitializeAsync(cancellationToken);

    public async Task<int> WriteAsync(IReadOnlyList<BillingRecord> batch, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _source.OpenConnectionAsync(cancellationToken);
        await using var commands = new NpgsqlBatch(connection);
        foreach (BillingRecord record in batch)
        {
            var command = new NpgsqlBatchCommand(Insert);
            // The store's array binding, one element long: the same values, in the same types.
            using var single = new NpgsqlCommand();
            PostgresLedgerSchema.Bind(single, [record]);
            foreach (NpgsqlParameter array in single.Parameters.ToArray())
            {
                single.Parameters.Remove(array);
                command.Parameters.Add(new NpgsqlParameter { Value = ((Array)array.Value!).GetValue(0) ?? DBNull.Value, NpgsqlDbType = array.NpgsqlDbType & ~NpgsqlTypes.NpgsqlDbType.Array });
            }

            commands.BatchCommands.Add(command);
        }

        await commands.PrepareAsync(cancellationToken);
        return await commands.ExecuteNonQueryAsync(cancellationToken);
    }

    public Task<IReadOnlyList<LedgerSummaryRow>> SummarizeAsync(LedgerGrouping by, LedgerRange range, CancellationToken cancellationToken) => _real.SummarizeAsync(by, range, cancellationToken);

    public Task<LedgerPage> QueryAsync(LedgerQuery query, CancellationToken cancellationToken) => _real.QueryAsync(query, cancellationToken);

    public Task<IReadOnlyList<LedgerSeriesPoint>> SeriesAsync(LedgerGrouping by, LedgerBucket bucket, LedgerRange range, CancellationToken cancellationToken) => _real.SeriesAsync(by, bucket, range, cancellationToken);

    public Task<IReadOnlyList<BillingRecord>> MostExpensiveAsync(LedgerRange range, int limit, CancellationToken cancellationToken) => _real.MostExpensiveAsync(range, limit, cancellationToken);

    public Task<IReadOnlyList<LedgerOutcomeCount>> OutcomesAsync(LedgerRange range, CancellationToken cancellationToken) => _real.OutcomesAsync(range, cancellationToken);

    public Task<long> CountAsync(CancellationToken cancellationToken) => _real.CountAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _source.DisposeAsync();
        await _real.DisposeAsync();
    }
}
