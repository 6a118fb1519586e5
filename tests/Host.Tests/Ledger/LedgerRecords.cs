using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Host.Tests.Ledger;

/// <summary>Billing records for ledger tests, and reading rows back from a SQLite file.</summary>
internal static class LedgerRecords
{
    public static BillingRecord Record(string requestId, long input = 100, decimal? cost = 0.000123456789m) => new()
    {
        RequestId = requestId,
        KeyId = "team-a",
        Api = ApiKind.Responses,
        Provider = "openai",
        RequestedModel = "openai/gpt-4o",
        UpstreamModel = "gpt-4o",
        ResponseModel = "gpt-4o-2024-08-06",
        ResponseId = "resp_" + requestId,
        Streaming = true,
        Usage = new TokenUsage { InputTokens = input, CachedInputTokens = 40, CacheWriteTokens = 0, OutputTokens = 25, ReasoningTokens = 5, Status = UsageStatus.Reported },
        Cost = cost,
        Warnings = ["upstream_malformed_event"],
        Outcome = ExchangeOutcome.ClientAborted,
        EndedBy = EndedBy.Client,
        HttpStatus = 101,
        StartedAt = new DateTimeOffset(2026, 12, 1, 9, 30, 0, 125, TimeSpan.Zero),
        TimeToFirstByte = TimeSpan.FromMilliseconds(12.5),
        Duration = TimeSpan.FromMilliseconds(340.25),
        Turn = 3,
        PreviousResponseId = "resp_prev",
        StreamId = "agent_1",
    };

    public static IReadOnlyList<BillingRecord> Records(string prefix, int count) =>
        [.. Enumerable.Range(0, count).Select(i => Record($"{prefix}_{i}", input: i))];

    /// <summary>Every row of the file's table, column name → value, by request id.</summary>
    public static Dictionary<string, Dictionary<string, object?>> ReadRows(string file)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT * FROM usage_records";
        using var reader = command.ExecuteReader();
        var rows = new Dictionary<string, Dictionary<string, object?>>(StringComparer.Ordinal);
        while (reader.Read())
        {
            var row = new Dictionary<string, object?>(StringComparer.Ordinal);
            for (int i = 0; i < reader.FieldCount; i++)
            {
                row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows[(string)row["request_id"]!] = row;
        }

        return rows;
    }

    public static string Scalar(string file, string sql)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={file};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture)!;
    }
}
