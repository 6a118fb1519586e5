using System.Globalization;
using AkkaProxy.Hosting.Ledger;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Usage;
using SQLitePCL;

namespace AkkaProxy.Ledger.Sqlite;

/// <summary>
/// The ledger's table and how a record maps to a row. Money is stored as exact decimal text (never a
/// float); times as ISO 8601 UTC text and Unix milliseconds (for range queries); enums in the
/// kebab-case the records' JSON uses.
/// </summary>
internal static class SqliteLedgerSchema
{
    public const string Version1 = """
        CREATE TABLE IF NOT EXISTS usage_records (
            request_id TEXT PRIMARY KEY NOT NULL,
            key_id TEXT,
            api TEXT NOT NULL,
            provider TEXT,
            requested_model TEXT,
            upstream_model TEXT,
            response_model TEXT,
            response_id TEXT,
            streaming INTEGER NOT NULL,
            input_tokens INTEGER NOT NULL,
            cached_input_tokens INTEGER NOT NULL,
            cache_write_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            reasoning_tokens INTEGER NOT NULL,
            total_tokens INTEGER NOT NULL,
            usage_status TEXT NOT NULL,
            cost TEXT,
            warnings TEXT NOT NULL,
            outcome TEXT NOT NULL,
            ended_by TEXT NOT NULL,
            http_status INTEGER,
            error_code TEXT,
            started_at TEXT NOT NULL,
            started_at_ms INTEGER NOT NULL,
            time_to_first_byte_ms REAL,
            duration_ms REAL NOT NULL,
            turn INTEGER,
            previous_response_id TEXT,
            stream_id TEXT
        );
        CREATE INDEX IF NOT EXISTS usage_records_by_time ON usage_records (started_at_ms);
        CREATE INDEX IF NOT EXISTS usage_records_by_key ON usage_records (key_id, started_at_ms);
        PRAGMA user_version = 1;
        """;

    private static readonly string[] Columns =
    [
        "request_id", "key_id", "api", "provider", "requested_model", "upstream_model", "response_model", "response_id",
        "streaming", "input_tokens", "cached_input_tokens", "cache_write_tokens", "output_tokens", "reasoning_tokens",
        "total_tokens", "usage_status", "cost", "warnings", "outcome", "ended_by", "http_status", "error_code",
        "started_at", "started_at_ms", "time_to_first_byte_ms", "duration_ms", "turn", "previous_response_id", "stream_id",
    ];

    /// <summary>An insert that skips a request id already stored.</summary>
    public static readonly string Insert =
        $"INSERT INTO usage_records ({string.Join(", ", Columns)}) VALUES ({string.Join(", ", Columns.Select((_, i) => "?" + (i + 1)))}) ON CONFLICT (request_id) DO NOTHING;";

    /// <summary>
    /// Binds <paramref name="record"/> to the prepared <see cref="Insert"/>, by position, through SQLite's
    /// own API: ADO.NET's binding looked every parameter up by name on every execution, which cost a
    /// row about 10 µs of CPU (measured), as much as a short request's own relaying. Values equal to the
    /// previous row's are not bound again (<see cref="SqliteRowBinder"/>).
    /// </summary>
    public static void Bind(SqliteRowBinder row, BillingRecord record)
    {
        row.Text(1, record.RequestId);
        row.Text(2, record.KeyId);
        row.Text(3, Name(record.Api));
        row.Text(4, record.Provider);
        row.Text(5, record.RequestedModel);
        row.Text(6, record.UpstreamModel);
        row.Text(7, record.ResponseModel);
        row.Text(8, record.ResponseId);
        row.Integer(9, record.Streaming ? 1 : 0);
        row.Integer(10, record.Usage.InputTokens);
        row.Integer(11, record.Usage.CachedInputTokens);
        row.Integer(12, record.Usage.CacheWriteTokens);
        row.Integer(13, record.Usage.OutputTokens);
        row.Integer(14, record.Usage.ReasoningTokens);
        row.Integer(15, record.Usage.TotalTokens);
        row.Text(16, Name(record.Usage.Status));
        row.Text(17, record.Cost?.ToString(CultureInfo.InvariantCulture));
        row.Text(18, record.Warnings.Count == 0 ? "" : string.Join(',', record.Warnings));
        row.Text(19, Name(record.Outcome));
        row.Text(20, Name(record.EndedBy));
        row.Integer(21, record.HttpStatus);
        row.Text(22, record.ErrorCode);
        row.Text(23, record.StartedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        row.Integer(24, record.StartedAt.ToUnixTimeMilliseconds());
        row.Real(25, record.TimeToFirstByte?.TotalMilliseconds);
        row.Real(26, record.Duration.TotalMilliseconds);
        row.Integer(27, record.Turn);
        row.Text(28, record.PreviousResponseId);
        row.Text(29, record.StreamId);
    }

    /// <summary>How many values a row binds.</summary>
    public static int ColumnCount => Columns.Length;

    /// <summary>A row back as the record it was written from.</summary>
    public static BillingRecord Read(Microsoft.Data.Sqlite.SqliteDataReader row)
    {
        long input = row.GetInt64(row.GetOrdinal("input_tokens"));
        long output = row.GetInt64(row.GetOrdinal("output_tokens"));
        long total = row.GetInt64(row.GetOrdinal("total_tokens"));
        var usage = new TokenUsage
        {
            InputTokens = input,
            CachedInputTokens = row.GetInt64(row.GetOrdinal("cached_input_tokens")),
            CacheWriteTokens = row.GetInt64(row.GetOrdinal("cache_write_tokens")),
            OutputTokens = output,
            ReasoningTokens = row.GetInt64(row.GetOrdinal("reasoning_tokens")),
            Status = Parse<UsageStatus>(Text(row, "usage_status")!),
        };
        if (total != input + output)
        {
            usage = usage with { TotalTokens = total }; // a reported total only
        }

        string warnings = Text(row, "warnings") ?? "";
        return new BillingRecord
        {
            RequestId = Text(row, "request_id")!,
            KeyId = Text(row, "key_id"),
            Api = Parse<ApiKind>(Text(row, "api")!),
            Provider = Text(row, "provider"),
            RequestedModel = Text(row, "requested_model"),
            UpstreamModel = Text(row, "upstream_model"),
            ResponseModel = Text(row, "response_model"),
            ResponseId = Text(row, "response_id"),
            Streaming = row.GetInt64(row.GetOrdinal("streaming")) != 0,
            Usage = usage,
            Cost = Text(row, "cost") is { } cost ? decimal.Parse(cost, NumberStyles.Number, CultureInfo.InvariantCulture) : null,
            Warnings = warnings.Length == 0 ? [] : warnings.Split(','),
            Outcome = Parse<ExchangeOutcome>(Text(row, "outcome")!),
            EndedBy = Parse<EndedBy>(Text(row, "ended_by")!),
            HttpStatus = Number(row, "http_status") is long status ? (int)status : null,
            ErrorCode = Text(row, "error_code"),
            StartedAt = DateTimeOffset.FromUnixTimeMilliseconds(row.GetInt64(row.GetOrdinal("started_at_ms"))),
            TimeToFirstByte = Real(row, "time_to_first_byte_ms") is double ttfb ? TimeSpan.FromMilliseconds(ttfb) : null,
            Duration = TimeSpan.FromMilliseconds(row.GetDouble(row.GetOrdinal("duration_ms"))),
            Turn = Number(row, "turn") is long turn ? (int)turn : null,
            PreviousResponseId = Text(row, "previous_response_id"),
            StreamId = Text(row, "stream_id"),
        };
    }

    private static string? Text(Microsoft.Data.Sqlite.SqliteDataReader row, string column) =>
        row.IsDBNull(row.GetOrdinal(column)) ? null : row.GetString(row.GetOrdinal(column));

    private static long? Number(Microsoft.Data.Sqlite.SqliteDataReader row, string column) =>
        row.IsDBNull(row.GetOrdinal(column)) ? null : row.GetInt64(row.GetOrdinal(column));

    private static double? Real(Microsoft.Data.Sqlite.SqliteDataReader row, string column) =>
        row.IsDBNull(row.GetOrdinal(column)) ? null : row.GetDouble(row.GetOrdinal(column));

    /// <summary>An enum value back from its kebab-case name.</summary>
    public static T Parse<T>(string name) where T : struct, Enum => LedgerNames<T>.Parse(name);

    private static string Name<T>(T value) where T : struct, Enum => LedgerNames<T>.Of(value);

    /// <summary>An enum value's kebab-case name, as the ledger stores it and the records' JSON writes it.</summary>
    public static string NameOf<T>(T value) where T : struct, Enum => LedgerNames<T>.Of(value);
}
