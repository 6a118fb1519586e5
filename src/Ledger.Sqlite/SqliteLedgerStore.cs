using System.Globalization;
using AkkaProxy.Hosting.Ledger;
using AkkaProxy.Pipeline.Billing;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace AkkaProxy.Ledger.Sqlite;

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
    private SqliteRowBinder? _insert;
    private readonly FileStream _lock;

    /// <summary>Opens (and creates) the file at <paramref name="path"/>, and holds its lock (<see cref="LedgerLock"/>) until disposed.</summary>
    /// <exception cref="LedgerInUseException">Another relay process holds the file.</exception>
    public SqliteLedgerStore(string path)
    {
        Path = path;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        _lock = LedgerLock.Take(path); // at once: the relay resolves its store before it starts, so a second relay never starts
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
            _insert ??= new SqliteRowBinder(Prepare(db, SqliteLedgerSchema.Insert), SqliteLedgerSchema.ColumnCount);
            using SqliteTransaction transaction = _connection.BeginTransaction();
            int inserted = 0;
            foreach (BillingRecord record in batch)
            {
                SqliteLedgerSchema.Bind(_insert, record);
                int step = raw.sqlite3_step(_insert.Statement);
                raw.sqlite3_reset(_insert.Statement);
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
    /// On a connection of its own (WAL lets it read while the writer writes). SQLite groups; the costs
    /// are summed by <see cref="DecimalSum"/>, exactly (SQLite's own <c>SUM</c> would read the text as
    /// floating point).
    /// </remarks>
    public async Task<IReadOnlyList<LedgerSummaryRow>> SummarizeAsync(LedgerGrouping by, LedgerRange range, CancellationToken cancellationToken)
    {
        string group = by switch
        {
            LedgerGrouping.Key => "key_id",
            LedgerGrouping.Model => "requested_model",
            _ => "strftime('%Y-%m-%d', started_at_ms / 1000, 'unixepoch')",
        };
        await using SqliteConnection connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand query = connection.CreateCommand();
        query.CommandText =
            $"SELECT {group} AS grp, COUNT(*), SUM(input_tokens), SUM(cached_input_tokens), SUM(cache_write_tokens), SUM(output_tokens), SUM(reasoning_tokens), "
            + $"{DecimalSum}(cost), SUM(cost IS NULL) FROM usage_records WHERE {InRange} GROUP BY grp";
        AddRange(query, range);
        var rows = new List<LedgerSummaryRow>();
        await using SqliteDataReader reader = await query.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new LedgerSummaryRow(
                reader.IsDBNull(0) ? null : reader.GetString(0),
                reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6),
                ReadDecimal(reader, 7), reader.GetInt64(8)));
        }

        return [.. rows.OrderByDescending(row => row.Cost).ThenBy(row => row.Group, StringComparer.Ordinal)];
    }

    /// <inheritdoc/>
    /// <remarks>On a connection of its own; SQLite buckets and groups, <see cref="DecimalSum"/> sums the costs exactly.</remarks>
    public async Task<IReadOnlyList<LedgerSeriesPoint>> SeriesAsync(LedgerGrouping by, LedgerBucket bucket, LedgerRange range, CancellationToken cancellationToken)
    {
        string group = by switch
        {
            LedgerGrouping.Key => "key_id",
            LedgerGrouping.Model => "requested_model",
            _ => throw new ArgumentOutOfRangeException(nameof(by), by, "A series groups by key or model; its buckets are the time axis."),
        };
        long width = bucket switch
        {
            LedgerBucket.Minute => 60_000,
            LedgerBucket.Hour => 3_600_000,
            LedgerBucket.Day => 86_400_000,
            _ => throw new ArgumentOutOfRangeException(nameof(bucket), bucket, "Unknown bucket."),
        };
        await using SqliteConnection connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand query = connection.CreateCommand();
        query.CommandText =
            $"SELECT (started_at_ms / $width) * $width AS bucket, {group} AS grp, COUNT(*), SUM(input_tokens), SUM(output_tokens), {DecimalSum}(cost), SUM(cost IS NULL) "
            + $"FROM usage_records WHERE {InRange} GROUP BY bucket, grp ORDER BY bucket, grp";
        query.Parameters.AddWithValue("$width", width);
        AddRange(query, range);
        var points = new List<LedgerSeriesPoint>();
        await using SqliteDataReader reader = await query.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            points.Add(new LedgerSeriesPoint(
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(0)),
                reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), ReadDecimal(reader, 5), reader.GetInt64(6)));
        }

        return points;
    }

    /// <inheritdoc/>
    /// <remarks>On a connection of its own; SQLite sorts with the <see cref="DecimalOrder"/> collation, exact, and keeps only the top rows.</remarks>
    public async Task<IReadOnlyList<BillingRecord>> MostExpensiveAsync(LedgerRange range, int limit, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand query = connection.CreateCommand();
        query.CommandText =
            $"SELECT * FROM usage_records WHERE cost IS NOT NULL AND {InRange} "
            + $"ORDER BY cost COLLATE {DecimalOrder} DESC, started_at_ms DESC, request_id DESC LIMIT $limit";
        AddRange(query, range);
        query.Parameters.AddWithValue("$limit", Math.Max(0, limit));
        var records = new List<BillingRecord>();
        await using SqliteDataReader reader = await query.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            records.Add(SqliteLedgerSchema.Read(reader));
        }

        return records;
    }

    /// <inheritdoc/>
    /// <remarks>On a connection of its own; one <c>GROUP BY</c>.</remarks>
    public async Task<IReadOnlyList<LedgerOutcomeCount>> OutcomesAsync(LedgerRange range, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand query = connection.CreateCommand();
        query.CommandText = $"SELECT ended_by, outcome, COUNT(*) FROM usage_records WHERE {InRange} GROUP BY ended_by, outcome ORDER BY ended_by, outcome";
        AddRange(query, range);
        var counts = new List<LedgerOutcomeCount>();
        await using SqliteDataReader reader = await query.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            counts.Add(new LedgerOutcomeCount(
                SqliteLedgerSchema.Parse<EndedBy>(reader.GetString(0)),
                SqliteLedgerSchema.Parse<ExchangeOutcome>(reader.GetString(1)),
                reader.GetInt64(2)));
        }

        return counts;
    }

    /// <summary>The range filter of every read, on <c>$from</c> and <c>$to</c> (<see cref="AddRange"/>).</summary>
    private const string InRange = "($from IS NULL OR started_at_ms >= $from) AND ($to IS NULL OR started_at_ms < $to)";

    /// <summary>An aggregate of the readers' connections: the exact sum of decimal texts (nulls skipped), as decimal text.</summary>
    private const string DecimalSum = "decimal_sum";

    /// <summary>A collation of the readers' connections: decimal texts in numeric order, exact.</summary>
    private const string DecimalOrder = "decimal_order";

    private static void AddRange(SqliteCommand command, LedgerRange range)
    {
        command.Parameters.AddWithValue("$from", (object?)range.From?.ToUnixTimeMilliseconds() ?? DBNull.Value);
        command.Parameters.AddWithValue("$to", (object?)range.To?.ToUnixTimeMilliseconds() ?? DBNull.Value);
    }

    private static decimal ReadDecimal(SqliteDataReader reader, int ordinal) =>
        decimal.Parse(reader.GetString(ordinal), NumberStyles.Number, CultureInfo.InvariantCulture);

    private static decimal ParseCost(string text) => decimal.Parse(text, NumberStyles.Number, CultureInfo.InvariantCulture);

    /// <summary>A read-only connection of its own, with <see cref="DecimalSum"/> and <see cref="DecimalOrder"/> registered.</summary>
    private async Task<SqliteConnection> OpenReaderAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false }.ToString());
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            connection.CreateAggregate<string?, decimal, string>(
                DecimalSum,
                0m,
                (sum, cost) => cost is null ? sum : sum + ParseCost(cost),
                sum => sum.ToString(CultureInfo.InvariantCulture),
                isDeterministic: true);
            connection.CreateCollation(DecimalOrder, (x, y) => ParseCost(x).CompareTo(ParseCost(y)));
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc/>
    /// <remarks>On a connection of its own, like <see cref="SummarizeAsync"/>. The cursor is <see cref="LedgerCursor"/>'s.</remarks>
    public async Task<LedgerPage> QueryAsync(LedgerQuery query, CancellationToken cancellationToken)
    {
        (long? beforeMs, string? beforeId) = LedgerCursor.Parse(query.Cursor);
        await using SqliteConnection connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
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
        _insert?.Statement.Dispose();
        await _connection.DisposeAsync().ConfigureAwait(false);
        _lock.Dispose(); // after the connection: the next relay opens the file only once this one let go
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
