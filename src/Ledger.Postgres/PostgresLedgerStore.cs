using System.Text;
using AkkaProxy.Hosting.Ledger;
using AkkaProxy.Pipeline.Billing;
using Npgsql;

namespace AkkaProxy.Ledger.Postgres;

/// <summary>
/// The ledger in a PostgreSQL database, through one <see cref="NpgsqlDataSource"/> (a pool): the
/// writer takes a connection per batch, readers take their own beside it. A batch is one
/// <c>INSERT ... SELECT FROM unnest(arrays) ON CONFLICT DO NOTHING</c> in one transaction; once it
/// commits (with the server's <c>synchronous_commit</c>, on by default: flushed to its WAL) the
/// records survive the relay and the server being killed.
/// </summary>
internal sealed class PostgresLedgerStore : ILedgerStore
{
    /// <summary>The schema version this code writes (<c>akkaproxy_ledger_schema.version</c>).</summary>
    public const int SchemaVersion = 1;

    /// <summary>Serialises start-ups of relays sharing a database: one migrates, the others wait, then see its version.</summary>
    private const long MigrationLock = 0x616b6b6170726f78; // "akkaprox"

    private readonly NpgsqlDataSource _source;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>A store on the database <paramref name="connectionString"/> names; nothing is opened until <see cref="InitializeAsync"/>.</summary>
    public PostgresLedgerStore(string connectionString)
    {
        CheckConnectionString(connectionString, null);
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.ApplicationName ??= "akkaproxy-ledger";
        Description = PostgresLedgerSchema.Describe(connectionString);
        _source = builder.Build();
    }

    /// <summary>The connection string without its password.</summary>
    public string Description { get; }

    /// <summary>Throws, with a message that names what to set, when <paramref name="connectionString"/> is missing or does not read; never echoes a password.</summary>
    public static void CheckConnectionString(string? connectionString, string? variable)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                "akkaproxy.ledger.store = postgresql needs a connection string: set akkaproxy.ledger.connection-string, "
                + $"or the environment variable named by connection-string-env ({(string.IsNullOrWhiteSpace(variable) ? "none is named" : variable + ", unset")}).");
        }

        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException)
        {
            throw new InvalidOperationException($"akkaproxy.ledger: the PostgreSQL connection string does not read ({ex.Message}).", ex);
        }

        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            throw new InvalidOperationException("akkaproxy.ledger: the PostgreSQL connection string names no Host.");
        }
    }

    /// <inheritdoc/>
    /// <remarks>In one transaction under an advisory lock, so relays starting together on one database migrate it once.</remarks>
    /// <exception cref="InvalidOperationException">The database cannot be reached or opened (the message names it, without the password), or its schema is newer.</exception>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        NpgsqlConnection connection;
        try
        {
            connection = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            throw new InvalidOperationException($"The usage ledger cannot open its PostgreSQL database ({Description}): {ex.Message}", ex);
        }

        await using NpgsqlConnection _ = connection;
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, $"SELECT pg_advisory_xact_lock({MigrationLock}); {PostgresLedgerSchema.VersionTable}", cancellationToken).ConfigureAwait(false);
        await using (var read = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM akkaproxy_ledger_schema", connection))
        {
            int version = Convert.ToInt32(await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
            if (version > SchemaVersion)
            {
                throw new InvalidOperationException($"The ledger database ({Description}) has schema version {version}, newer than this relay's {SchemaVersion}.");
            }

            if (version < 1)
            {
                await ExecuteAsync(connection, PostgresLedgerSchema.Version1 + "INSERT INTO akkaproxy_ledger_schema (version) VALUES (1);", cancellationToken).ConfigureAwait(false);
            }
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <remarks>One statement for the whole batch (<see cref="PostgresLedgerSchema.Insert"/>), prepared once per pooled connection.</remarks>
    public async Task<int> WriteAsync(IReadOnlyList<BillingRecord> batch, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return 0;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using NpgsqlConnection connection = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var insert = new NpgsqlCommand(PostgresLedgerSchema.Insert, connection);
            PostgresLedgerSchema.Bind(insert, batch);
            await insert.PrepareAsync(cancellationToken).ConfigureAwait(false);
            // A single statement is its own transaction: all of the batch or none of it.
            return await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    /// <remarks>Summed by the server: tokens as bigint, costs as numeric (exact).</remarks>
    public async Task<IReadOnlyList<LedgerSummaryRow>> SummarizeAsync(LedgerGrouping by, LedgerRange range, CancellationToken cancellationToken)
    {
        string group = by switch
        {
            LedgerGrouping.Key => "key_id",
            LedgerGrouping.Model => "requested_model",
            _ => PostgresLedgerSchema.Day,
        };
        await using NpgsqlCommand command = _source.CreateCommand();
        var where = new StringBuilder();
        AddRange(command, where, range);
        command.CommandText =
            $"SELECT {group}, count(*), sum(input_tokens)::bigint, sum(cached_input_tokens)::bigint, sum(cache_write_tokens)::bigint, "
            + "sum(output_tokens)::bigint, sum(reasoning_tokens)::bigint, coalesce(sum(cost), 0), count(*) FILTER (WHERE cost IS NULL) "
            + $"FROM usage_records{where} GROUP BY 1";
        var rows = new List<LedgerSummaryRow>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new LedgerSummaryRow(
                reader.IsDBNull(0) ? null : reader.GetString(0),
                reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6),
                reader.GetDecimal(7),
                reader.GetInt64(8)));
        }

        return [.. rows.OrderByDescending(row => row.Cost).ThenBy(row => row.Group, StringComparer.Ordinal)];
    }

    /// <inheritdoc/>
    /// <remarks>Only the filters given reach the SQL, so the planner can use the (key, time) and (time, id) indexes.</remarks>
    public async Task<LedgerPage> QueryAsync(LedgerQuery query, CancellationToken cancellationToken)
    {
        (long? beforeMs, string? beforeId) = LedgerCursor.Parse(query.Cursor);
        await using NpgsqlCommand command = _source.CreateCommand();
        var where = new StringBuilder();
        AddFilter(command, where, "key_id =", query.KeyId);
        AddFilter(command, where, "requested_model =", query.Model);
        AddFilter(command, where, "provider =", query.Provider);
        AddRange(command, where, query.Range);
        if (beforeMs is long ms)
        {
            command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = beforeId! });
            Where(where, $"(started_at, request_id) < (${command.Parameters.Count - 1}, ${command.Parameters.Count})");
        }

        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = query.Limit + 1 }); // one more tells whether a next page exists
        command.CommandText = $"SELECT {PostgresLedgerSchema.SelectList} FROM usage_records{where} ORDER BY started_at DESC, request_id DESC LIMIT ${command.Parameters.Count}";
        var records = new List<BillingRecord>(query.Limit);
        bool more = false;
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (records.Count == query.Limit)
            {
                more = true;
                break;
            }

            records.Add(PostgresLedgerSchema.Read(reader));
        }

        return new LedgerPage(records, more ? LedgerCursor.After(records[^1]) : null);
    }

    /// <inheritdoc/>
    /// <remarks>Bucketed by the server (<c>date_trunc</c> in UTC), grouped, costs summed as numeric.</remarks>
    public async Task<IReadOnlyList<LedgerSeriesPoint>> SeriesAsync(LedgerGrouping by, LedgerBucket bucket, LedgerRange range, CancellationToken cancellationToken)
    {
        string group = by switch
        {
            LedgerGrouping.Key => "key_id",
            LedgerGrouping.Model => "requested_model",
            _ => throw new ArgumentOutOfRangeException(nameof(by), by, "A series groups by key or model; its buckets are the time axis."),
        };
        string unit = bucket switch
        {
            LedgerBucket.Minute => "minute",
            LedgerBucket.Hour => "hour",
            LedgerBucket.Day => "day",
            _ => throw new ArgumentOutOfRangeException(nameof(bucket), bucket, "Unknown bucket."),
        };
        await using NpgsqlCommand command = _source.CreateCommand();
        var where = new StringBuilder();
        AddRange(command, where, range);
        command.CommandText =
            $"SELECT date_trunc('{unit}', started_at, 'UTC') AS bucket, {group} AS grp, count(*), sum(input_tokens)::bigint, sum(output_tokens)::bigint, "
            + "coalesce(sum(cost), 0), count(*) FILTER (WHERE cost IS NULL) "
            + $"FROM usage_records{where} GROUP BY bucket, grp";
        var points = new List<LedgerSeriesPoint>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            points.Add(new LedgerSeriesPoint(
                new DateTimeOffset(reader.GetFieldValue<DateTime>(0).ToUniversalTime(), TimeSpan.Zero),
                reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetDecimal(5), reader.GetInt64(6)));
        }

        // Ordered here, as the contract says (groups ordinal, null first): the database's collation need not be bytewise.
        return [.. points.OrderBy(p => p.Bucket).ThenBy(p => p.Group, StringComparer.Ordinal)];
    }

    /// <inheritdoc/>
    /// <remarks>Sorted by the server on the numeric cost (exact), then the (time, id) order of pages.</remarks>
    public async Task<IReadOnlyList<BillingRecord>> MostExpensiveAsync(LedgerRange range, int limit, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = _source.CreateCommand();
        var where = new StringBuilder();
        Where(where, "cost IS NOT NULL");
        AddRange(command, where, range);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = Math.Max(0, limit) });
        command.CommandText = $"SELECT {PostgresLedgerSchema.SelectList} FROM usage_records{where} ORDER BY cost DESC, started_at DESC, request_id DESC LIMIT ${command.Parameters.Count}";
        var records = new List<BillingRecord>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            records.Add(PostgresLedgerSchema.Read(reader));
        }

        return records;
    }

    /// <inheritdoc/>
    /// <remarks>One <c>GROUP BY</c>.</remarks>
    public async Task<IReadOnlyList<LedgerOutcomeCount>> OutcomesAsync(LedgerRange range, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = _source.CreateCommand();
        var where = new StringBuilder();
        AddRange(command, where, range);
        command.CommandText = $"SELECT ended_by, outcome, count(*) FROM usage_records{where} GROUP BY ended_by, outcome";
        var counts = new List<LedgerOutcomeCount>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            counts.Add(new LedgerOutcomeCount(LedgerNames<EndedBy>.Parse(reader.GetString(0)), LedgerNames<ExchangeOutcome>.Parse(reader.GetString(1)), reader.GetInt64(2)));
        }

        return [.. counts.OrderBy(c => LedgerNames<EndedBy>.Of(c.EndedBy), StringComparer.Ordinal).ThenBy(c => LedgerNames<ExchangeOutcome>.Of(c.Outcome), StringComparer.Ordinal)];
    }

    /// <inheritdoc/>
    public async Task<long> CountAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = _source.CreateCommand("SELECT count(*) FROM usage_records");
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false); // a batch being written finishes first
        await _source.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }

    /// <summary>The range as SQLite applies it: on the start time in whole milliseconds, from inclusive, to exclusive.</summary>
    private static void AddRange(NpgsqlCommand command, StringBuilder where, LedgerRange range)
    {
        if (range.From is { } from)
        {
            command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = PostgresLedgerSchema.StoredTime(from) });
            Where(where, $"started_at >= ${command.Parameters.Count}");
        }

        if (range.To is { } to)
        {
            command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = PostgresLedgerSchema.StoredTime(to) });
            Where(where, $"started_at < ${command.Parameters.Count}");
        }
    }

    private static void AddFilter(NpgsqlCommand command, StringBuilder where, string condition, string? value)
    {
        if (value is not null)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = value });
            Where(where, $"{condition} ${command.Parameters.Count}");
        }
    }

    private static void Where(StringBuilder where, string condition) =>
        where.Append(where.Length == 0 ? " WHERE " : " AND ").Append(condition);

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
