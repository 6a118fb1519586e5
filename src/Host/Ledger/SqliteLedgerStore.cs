using System.Globalization;
using AkkaProxy.Pipeline.Billing;
using Microsoft.Data.Sqlite;

namespace AkkaProxy.Host.Ledger;

/// <summary>
/// The ledger in a SQLite file, in WAL mode with <c>synchronous = NORMAL</c>: a committed
/// transaction survives the process being killed (a power loss may lose the last ones). One row per
/// billing record, keyed by its request id (one per HTTP request or WebSocket turn).
/// </summary>
public sealed class SqliteLedgerStore : ILedgerStore
{
    /// <summary>The schema version this code writes (<c>PRAGMA user_version</c>).</summary>
    public const int SchemaVersion = 1;

    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Opens (and creates) the file at <paramref name="path"/>.</summary>
    public SqliteLedgerStore(string path)
    {
        Path = path;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await _connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;", cancellationToken).ConfigureAwait(false);
        long version = (long)(await ScalarAsync("PRAGMA user_version;", cancellationToken).ConfigureAwait(false))!;
        if (version > SchemaVersion)
        {
            throw new InvalidOperationException($"The ledger {Path} has schema version {version}, newer than this relay's {SchemaVersion}.");
        }

        if (version < 1)
        {
            await ExecuteAsync(SqliteLedgerSchema.Version1, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public async Task<int> WriteAsync(IReadOnlyList<BillingRecord> batch, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using SqliteTransaction transaction = (SqliteTransaction)await _connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using SqliteCommand insert = _connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = SqliteLedgerSchema.Insert;
            SqliteLedgerSchema.AddParameters(insert);
            int inserted = 0;
            foreach (BillingRecord record in batch)
            {
                SqliteLedgerSchema.Bind(insert, record);
                inserted += await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return inserted;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public async Task<long> CountAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return Convert.ToInt64(await ScalarAsync("SELECT COUNT(*) FROM usage_records;", cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        await using SqliteCommand command = _connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<object?> ScalarAsync(string sql, CancellationToken cancellationToken)
    {
        await using SqliteCommand command = _connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }
}
