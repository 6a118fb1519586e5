using AkkaProxy.Hosting.Ledger;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Usage;
using Npgsql;

namespace AkkaProxy.Ledger.Postgres;

/// <summary>
/// The ledger's table in PostgreSQL and how a batch of records maps to it. The columns are SQLite's
/// (<c>SqliteLedgerSchema</c> in AkkaProxy.Ledger.Sqlite) in PostgreSQL's types: money as <c>numeric</c> (exact; summed
/// exactly by the server), the start time as <c>timestamptz</c> at millisecond precision (the
/// cursor's unit), request ids in the "C" collation so they sort by bytes, as SQLite sorts them.
/// The version lives in <c>akkaproxy_ledger_schema</c>, one row.
/// </summary>
internal static class PostgresLedgerSchema
{
    /// <summary>The version table: created first, read under the migration lock.</summary>
    public const string VersionTable = "CREATE TABLE IF NOT EXISTS akkaproxy_ledger_schema (version integer NOT NULL);";

    /// <summary>Version 1: the table and its two indexes (time, and key then time).</summary>
    public const string Version1 = """
        CREATE TABLE usage_records (
            request_id text COLLATE "C" PRIMARY KEY,
            key_id text,
            api text NOT NULL,
            provider text,
            requested_model text,
            upstream_model text,
            response_model text,
            response_id text,
            streaming boolean NOT NULL,
            input_tokens bigint NOT NULL,
            cached_input_tokens bigint NOT NULL,
            cache_write_tokens bigint NOT NULL,
            output_tokens bigint NOT NULL,
            reasoning_tokens bigint NOT NULL,
            total_tokens bigint NOT NULL,
            usage_status text NOT NULL,
            cost numeric,
            warnings text NOT NULL,
            outcome text NOT NULL,
            ended_by text NOT NULL,
            http_status integer,
            error_code text,
            started_at timestamptz NOT NULL,
            time_to_first_byte_ms double precision,
            duration_ms double precision NOT NULL,
            turn integer,
            previous_response_id text,
            stream_id text
        );
        CREATE INDEX usage_records_by_time ON usage_records (started_at, request_id);
        CREATE INDEX usage_records_by_key ON usage_records (key_id, started_at);
        """;

    /// <summary>The columns, in the order of <see cref="Insert"/>'s arrays and of <see cref="Read"/>.</summary>
    public static readonly string[] Columns =
    [
        "request_id", "key_id", "api", "provider", "requested_model", "upstream_model", "response_model", "response_id",
        "streaming", "input_tokens", "cached_input_tokens", "cache_write_tokens", "output_tokens", "reasoning_tokens",
        "total_tokens", "usage_status", "cost", "warnings", "outcome", "ended_by", "http_status", "error_code",
        "started_at", "time_to_first_byte_ms", "duration_ms", "turn", "previous_response_id", "stream_id",
    ];

    private static readonly string[] ArrayTypes =
    [
        "text", "text", "text", "text", "text", "text", "text", "text",
        "boolean", "bigint", "bigint", "bigint", "bigint", "bigint",
        "bigint", "text", "numeric", "text", "text", "text", "integer", "text",
        "timestamptz", "double precision", "double precision", "integer", "text", "text",
    ];

    /// <summary>
    /// A whole batch in one statement: one array per column, unnested into rows; a request id already
    /// stored is skipped, and the statement's row count is how many were new.
    /// </summary>
    public static readonly string Insert =
        $"INSERT INTO usage_records ({string.Join(", ", Columns)}) SELECT * FROM unnest({string.Join(", ", ArrayTypes.Select((type, i) => $"${i + 1}::{type}[]"))}) ON CONFLICT (request_id) DO NOTHING";

    /// <summary>The select list of <see cref="Read"/>.</summary>
    public static readonly string SelectList = string.Join(", ", Columns);

    /// <summary>The start time as stored: UTC, truncated to the millisecond (what SQLite keeps and the cursor names).</summary>
    public static DateTime StoredTime(DateTimeOffset time) => DateTimeOffset.FromUnixTimeMilliseconds(time.ToUnixTimeMilliseconds()).UtcDateTime;

    /// <summary>Adds <see cref="Insert"/>'s parameters for <paramref name="batch"/>: one array per column.</summary>
    public static void Bind(NpgsqlCommand command, IReadOnlyList<BillingRecord> batch)
    {
        NpgsqlParameterCollection p = command.Parameters;
        p.Add(Array(batch, r => r.RequestId));
        p.Add(Array(batch, r => r.KeyId));
        p.Add(Array(batch, r => LedgerNames<ApiKind>.Of(r.Api)));
        p.Add(Array(batch, r => r.Provider));
        p.Add(Array(batch, r => r.RequestedModel));
        p.Add(Array(batch, r => r.UpstreamModel));
        p.Add(Array(batch, r => r.ResponseModel));
        p.Add(Array(batch, r => r.ResponseId));
        p.Add(Array(batch, r => r.Streaming));
        p.Add(Array(batch, r => r.Usage.InputTokens));
        p.Add(Array(batch, r => r.Usage.CachedInputTokens));
        p.Add(Array(batch, r => r.Usage.CacheWriteTokens));
        p.Add(Array(batch, r => r.Usage.OutputTokens));
        p.Add(Array(batch, r => r.Usage.ReasoningTokens));
        p.Add(Array(batch, r => r.Usage.TotalTokens));
        p.Add(Array(batch, r => LedgerNames<UsageStatus>.Of(r.Usage.Status)));
        p.Add(Array(batch, r => r.Cost));
        p.Add(Array(batch, r => r.Warnings.Count == 0 ? "" : string.Join(',', r.Warnings)));
        p.Add(Array(batch, r => LedgerNames<ExchangeOutcome>.Of(r.Outcome)));
        p.Add(Array(batch, r => LedgerNames<EndedBy>.Of(r.EndedBy)));
        p.Add(Array(batch, r => r.HttpStatus));
        p.Add(Array(batch, r => r.ErrorCode));
        p.Add(Array(batch, r => StoredTime(r.StartedAt)));
        p.Add(Array(batch, r => r.TimeToFirstByte?.TotalMilliseconds));
        p.Add(Array(batch, r => r.Duration.TotalMilliseconds));
        p.Add(Array(batch, r => r.Turn));
        p.Add(Array(batch, r => r.PreviousResponseId));
        p.Add(Array(batch, r => r.StreamId));
    }

    private static NpgsqlParameter<T[]> Array<T>(IReadOnlyList<BillingRecord> batch, Func<BillingRecord, T> column)
    {
        var values = new T[batch.Count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = column(batch[i]);
        }

        return new NpgsqlParameter<T[]> { TypedValue = values };
    }

    /// <summary>A row (selected with <see cref="SelectList"/>) back as the record it was written from.</summary>
    public static BillingRecord Read(NpgsqlDataReader row)
    {
        long input = row.GetInt64(9);
        long output = row.GetInt64(12);
        long total = row.GetInt64(14);
        var usage = new TokenUsage
        {
            InputTokens = input,
            CachedInputTokens = row.GetInt64(10),
            CacheWriteTokens = row.GetInt64(11),
            OutputTokens = output,
            ReasoningTokens = row.GetInt64(13),
            Status = LedgerNames<UsageStatus>.Parse(row.GetString(15)),
        };
        if (total != input + output)
        {
            usage = usage with { TotalTokens = total }; // a reported total only
        }

        string warnings = row.GetString(17);
        return new BillingRecord
        {
            RequestId = row.GetString(0),
            KeyId = Text(row, 1),
            Api = LedgerNames<ApiKind>.Parse(row.GetString(2)),
            Provider = Text(row, 3),
            RequestedModel = Text(row, 4),
            UpstreamModel = Text(row, 5),
            ResponseModel = Text(row, 6),
            ResponseId = Text(row, 7),
            Streaming = row.GetBoolean(8),
            Usage = usage,
            Cost = row.IsDBNull(16) ? null : row.GetDecimal(16),
            Warnings = warnings.Length == 0 ? [] : warnings.Split(','),
            Outcome = LedgerNames<ExchangeOutcome>.Parse(row.GetString(18)),
            EndedBy = LedgerNames<EndedBy>.Parse(row.GetString(19)),
            HttpStatus = row.IsDBNull(20) ? null : row.GetInt32(20),
            ErrorCode = Text(row, 21),
            StartedAt = new DateTimeOffset(row.GetFieldValue<DateTime>(22).ToUniversalTime(), TimeSpan.Zero),
            TimeToFirstByte = row.IsDBNull(23) ? null : TimeSpan.FromMilliseconds(row.GetDouble(23)),
            Duration = TimeSpan.FromMilliseconds(row.GetDouble(24)),
            Turn = row.IsDBNull(25) ? null : row.GetInt32(25),
            PreviousResponseId = Text(row, 26),
            StreamId = Text(row, 27),
        };
    }

    private static string? Text(NpgsqlDataReader row, int ordinal) => row.IsDBNull(ordinal) ? null : row.GetString(ordinal);

    /// <summary>The connection string without its password, for logs and messages.</summary>
    public static string Describe(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Password = null };
        return builder.ToString();
    }

    /// <summary>The day a summary by day groups on, as SQLite's: <c>yyyy-MM-dd</c> in UTC.</summary>
    public const string Day = "to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')";
}
