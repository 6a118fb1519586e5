using System.Globalization;
using System.Text.Json;
using AkkaProxy.Pipeline.Billing;
using Microsoft.Data.Sqlite;

namespace AkkaProxy.Host.Ledger;

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
        $"INSERT INTO usage_records ({string.Join(", ", Columns)}) VALUES ({string.Join(", ", Columns.Select(c => "$" + c))}) ON CONFLICT (request_id) DO NOTHING;";

    public static void AddParameters(SqliteCommand command)
    {
        foreach (string column in Columns)
        {
            command.Parameters.Add(new SqliteParameter("$" + column, null));
        }
    }

    public static void Bind(SqliteCommand command, BillingRecord record)
    {
        SqliteParameterCollection p = command.Parameters;
        p["$request_id"].Value = record.RequestId;
        p["$key_id"].Value = (object?)record.KeyId ?? DBNull.Value;
        p["$api"].Value = Name(record.Api);
        p["$provider"].Value = (object?)record.Provider ?? DBNull.Value;
        p["$requested_model"].Value = (object?)record.RequestedModel ?? DBNull.Value;
        p["$upstream_model"].Value = (object?)record.UpstreamModel ?? DBNull.Value;
        p["$response_model"].Value = (object?)record.ResponseModel ?? DBNull.Value;
        p["$response_id"].Value = (object?)record.ResponseId ?? DBNull.Value;
        p["$streaming"].Value = record.Streaming ? 1 : 0;
        p["$input_tokens"].Value = record.Usage.InputTokens;
        p["$cached_input_tokens"].Value = record.Usage.CachedInputTokens;
        p["$cache_write_tokens"].Value = record.Usage.CacheWriteTokens;
        p["$output_tokens"].Value = record.Usage.OutputTokens;
        p["$reasoning_tokens"].Value = record.Usage.ReasoningTokens;
        p["$total_tokens"].Value = record.Usage.TotalTokens;
        p["$usage_status"].Value = Name(record.Usage.Status);
        p["$cost"].Value = record.Cost is decimal cost ? cost.ToString(CultureInfo.InvariantCulture) : DBNull.Value;
        p["$warnings"].Value = string.Join(',', record.Warnings);
        p["$outcome"].Value = Name(record.Outcome);
        p["$ended_by"].Value = Name(record.EndedBy);
        p["$http_status"].Value = (object?)record.HttpStatus ?? DBNull.Value;
        p["$error_code"].Value = (object?)record.ErrorCode ?? DBNull.Value;
        p["$started_at"].Value = record.StartedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
        p["$started_at_ms"].Value = record.StartedAt.ToUnixTimeMilliseconds();
        p["$time_to_first_byte_ms"].Value = record.TimeToFirstByte is TimeSpan ttfb ? ttfb.TotalMilliseconds : DBNull.Value;
        p["$duration_ms"].Value = record.Duration.TotalMilliseconds;
        p["$turn"].Value = (object?)record.Turn ?? DBNull.Value;
        p["$previous_response_id"].Value = (object?)record.PreviousResponseId ?? DBNull.Value;
        p["$stream_id"].Value = (object?)record.StreamId ?? DBNull.Value;
    }

    private static string Name<T>(T value) where T : struct, Enum => JsonNamingPolicy.KebabCaseLower.ConvertName(value.ToString());
}
