using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;

namespace AkkaProxy.Pipeline.Usage;

/// <summary>
/// Where Bedrock puts usage outside a plain JSON document: InvokeModel's response headers, and the
/// base64 <c>bytes</c> of an InvokeModel stream's <c>chunk</c> events, which hold the model's own JSON.
/// </summary>
internal static class BedrockUsage
{
    public const string InputTokensHeader = "X-Amzn-Bedrock-Input-Token-Count";
    public const string OutputTokensHeader = "X-Amzn-Bedrock-Output-Token-Count";
    public const string CacheReadTokensHeader = "X-Amzn-Bedrock-Cache-Read-Input-Token-Count";
    public const string CacheWriteTokensHeader = "X-Amzn-Bedrock-Cache-Write-Input-Token-Count";

    /// <summary>Reads InvokeModel's token-count headers into <paramref name="accumulator"/> (a count that is not a whole number is left out).</summary>
    public static void FromHeaders(HttpResponseHeaders headers, UsageAccumulator accumulator)
    {
        UsageCounters counters = default;
        Read(headers, InputTokensHeader, UsageFields.Input, ref counters);
        Read(headers, OutputTokensHeader, UsageFields.Output, ref counters);
        Read(headers, CacheReadTokensHeader, UsageFields.CacheRead, ref counters);
        Read(headers, CacheWriteTokensHeader, UsageFields.CacheCreation, ref counters);
        accumulator.ApplyReported(counters);
    }

    /// <summary>
    /// Scans the model's JSON inside a <c>chunk</c> event's payload (<c>{"bytes":"&lt;base64&gt;"}</c>) with
    /// <paramref name="scanner"/>. The decoded bytes live in a pooled buffer for the scan only. False when the
    /// payload holds no <c>bytes</c> string or it is not base64; a <see cref="JsonException"/> when either JSON is malformed.
    /// </summary>
    public static bool ScanChunk(in ReadOnlySequence<byte> payload, JsonEventScanner scanner)
    {
        var reader = new Utf8JsonReader(payload, isFinalBlock: true, state: default);
        while (reader.Read())
        {
            if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1 || !reader.ValueTextEquals("bytes"u8))
            {
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && reader.CurrentDepth > 0)
                {
                    reader.Skip();
                }

                continue;
            }

            if (!reader.Read() || reader.TokenType != JsonTokenType.String)
            {
                return false;
            }

            int length = checked((int)(reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length));
            byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 16));
            try
            {
                int written = reader.CopyString(buffer); // unescapes a "\/" some encoders write for '/'
                if (Base64.DecodeFromUtf8InPlace(buffer.AsSpan(0, written), out int decoded) != OperationStatus.Done)
                {
                    return false;
                }

                scanner.ScanDocument(buffer.AsSpan(0, decoded));
                return true;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        return false;
    }

    private static void Read(HttpResponseHeaders headers, string name, UsageFields field, ref UsageCounters counters)
    {
        if (headers.TryGetValues(name, out IEnumerable<string>? values)
            && long.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out long value))
        {
            counters.Set(field, value);
        }
    }
}
