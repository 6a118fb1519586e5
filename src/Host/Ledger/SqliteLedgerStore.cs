using System.Globalization;
using AkkaProxy.Pipeline.Billing;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace AkkaProxy.Host.Ledger;

/// <summary>
/// The ledger in a SQLite file, in WAL mode with <c>synchronous = NORMAL</c>: a committed
/// transaction survives the process being killed (a power loss may lose the last ones). One row per
/// billing record, keyed by its request id (one per HTTP request or WebSocket turn).
/// </summary>
internal sealed class SqliteLedgerStore : ILedgerStore
{
    /// <summary>The schema version this code writes (<c>PRAGMA user_version</c>).</summary>
    public const int SchemaVersion = 1;

    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private sqlite3_stmt? _insert;

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
    /// <remarks>One prepared insert, reused by every batch, bound by position (<see cref="SqliteLedgerSchema.Bind"/>).</remarks>
    public async Task<int> WriteAsync(IReadOnlyList<BillingRecord> batch, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            sqlite3 db = _connection.Handle!;
            _insert ??= Prepare(db, SqliteLedgerSchema.Insert);
            using SqliteTransaction transaction = _connection.BeginTransaction();
            int inserted = 0;
            foreach (BillingRecord record in batch)
            {
                SqliteLedgerSchema.Bind(_insert, record);
                int step = raw.sqlite3_step(_insert);
                raw.sqlite3_reset(_insert);
                if (step != raw.SQLITE_DONE)
                {
                    throw new SqliteException($"The ledger's insert failed: {raw.sqlite3_errmsg(db).utf8_to_string()}", step);
                }

                inserted += raw.sqlite3_changes(db);
            }

            transaction.Commit();
            return inserted;
        }
        finally
        {
            _gate.Release();
        }
    }

    private static sqlite3_stmt Prepare(sqlite3 db, string sql)
    {
        int result = raw.sqlite3_prepare_v2(db, sql, out sqlite3_stmt statement);
        if (result != raw.SQLITE_OK)
        {
            throw new SqliteException($"The ledger's insert could not be prepared: {raw.sqlite3_errmsg(db).utf8_to_string()}", result);
        }

        return statement;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// On a connection of its own (WAL lets it read while the writer writes). Costs are summed as
    /// decimals in .NET, row by row: SQLite would sum the text as floating point.
    /// </remarks>
    public async Task<IReadOnlyList<LedgerSummaryRow>> SummarizeAsync(LedgerGrouping by, LedgerRange range, CancellationToken cancellationToken)
    {
        string group = by switch
        {
            LedgerGrouping.Key => "key_id",
            LedgerGrouping.Model => "requested_model",
            _ => "strftime('%Y-%m-%d', started_at_ms / 1000, 'unixepoch')",
        };
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false }.ToString());
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand query = connection.CreateCommand();
        query.CommandText =
            $"SELECT {group}, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens, cost FROM usage_records "
            + "WHERE ($from IS NULL OR started_at_ms >= $from) AND ($to IS NULL OR started_at_ms < $to)";
        query.Parameters.AddWithValue("$from", (object?)range.From?.ToUnixTimeMilliseconds() ?? DBNull.Value);
        query.Parameters.AddWithValue("$to", (object?)range.To?.ToUnixTimeMilliseconds() ?? DBNull.Value);
        var groups = new Dictionary<string, LedgerSummaryRow>(StringComparer.Ordinal);
        var none = new LedgerSummaryRow(null, 0, 0, 0, 0, 0, 0, 0m, 0);
        LedgerSummaryRow? ungrouped = null;
        await using SqliteDataReader reader = await query.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            string? name = reader.IsDBNull(0) ? null : reader.GetString(0);
            decimal? cost = reader.IsDBNull(6) ? null : decimal.Parse(reader.GetString(6), NumberStyles.Number, CultureInfo.InvariantCulture);
            LedgerSummaryRow sum = name is null ? ungrouped ?? none : groups.TryGetValue(name, out LedgerSummaryRow? seen) ? seen : none with { Group = name };
            sum = sum with
            {
                Requests = sum.Requests + 1,
                InputTokens = sum.InputTokens + reader.GetInt64(1),
                CachedInputTokens = sum.CachedInputTokens + reader.GetInt64(2),
                CacheWriteTokens = sum.CacheWriteTokens + reader.GetInt64(3),
                OutputTokens = sum.OutputTokens + reader.GetInt64(4),
                ReasoningTokens = sum.ReasoningTokens + reader.GetInt64(5),
                Cost = sum.Cost + (cost ?? 0m),
                UnpricedRequests = sum.UnpricedRequests + (cost is null ? 1 : 0),
            };
            if (name is null)
            {
                ungrouped = sum;
            }
            else
            {
                groups[name] = sum;
            }
        }

        IEnumerable<LedgerSummaryRow> rows = ungrouped is null ? groups.Values : groups.Values.Append(ungrouped);
        return [.. rows.OrderByDescending(row => row.Cost).ThenBy(row => row.Group, StringComparer.Ordinal)];
    }

    /// <inheritdoc/>
    /// <remarks>On a connection of its own, like <see cref="SummarizeAsync"/>. The cursor is <see cref="LedgerCursor"/>'s.</remarks>
    public async Task<LedgerPage> QueryAsync(LedgerQuery query, CancellationToken cancellationToken)
    {
        (long? beforeMs, string? beforeId) = LedgerCursor.Parse(query.Cursor);
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false }.ToString());
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText =
            "SELECT * FROM usage_records WHERE ($key IS NULL OR key_id = $key) AND ($model IS NULL OR requested_model = $model) "
            + "AND ($provider IS NULL OR provider = $provider) AND ($from IS NULL OR started_at_ms >= $from) AND ($to IS NULL OR started_at_ms < $to) "
            + "AND ($beforeMs IS NULL OR started_at_ms < $beforeMs OR (started_at_ms = $beforeMs AND request_id < $beforeId)) "
            + "ORDER BY started_at_ms DESC, request_id DESC LIMIT $limit";
        command.Parameters.AddWithValue("$key", (object?)query.KeyId ?? DBNull.Value);
        command.Parameters.AddWithValue("$model", (object?)query.Model ?? DBNull.Value);
        command.Parameters.AddWithValue("$provider", (object?)query.Provider ?? DBNull.Value);
        command.Parameters.AddWithValue("$from", (object?)query.Range.From?.ToUnixTimeMilliseconds() ?? DBNull.Value);
        command.Parameters.AddWithValue("$to", (object?)query.Range.To?.ToUnixTimeMilliseconds() ?? DBNull.Value);
        command.Parameters.AddWithValue("$beforeMs", (object?)beforeMs ?? DBNull.Value);
        command.Parameters.AddWithValue("$beforeId", (object?)beforeId ?? DBNull.Value);
        command.Parameters.AddWithValue("$limit", query.Limit + 1); // one more tells whether a next page exists
        var records = new List<BillingRecord>(query.Limit);
        bool more = false;
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (records.Count == query.Limit)
            {
                more = true;
                break;
            }

            records.Add(SqliteLedgerSchema.Read(reader));
        }

        string? next = more ? LedgerCursor.After(records[^1]) : null;
        return new LedgerPage(records, next);
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
        await _gate.WaitAsync().ConfigureAwait(false); // a batch being written finishes first
        _insert?.Dispose();
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
