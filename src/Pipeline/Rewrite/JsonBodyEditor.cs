using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace AkkaProxy.Pipeline.Rewrite;

/// <summary>
/// Splices edits into a request body. Every byte outside the edited token stays as the client
/// sent it: no re-serialisation, so key order, whitespace, escapes and number spellings survive.
/// </summary>
internal static class JsonBodyEditor
{
    // One instance for every request: options are immutable once used, and a new instance per call
    // paid for its construction and a lookup in the serializer's shared cache on every request.
    // Relaxed escaping keeps non-ASCII model names readable; quotes and controls are still escaped.
    private static readonly JsonSerializerOptions ModelEncoding = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Returns <paramref name="body"/> with the model token replaced by <paramref name="model"/>.</summary>
    public static byte[] ReplaceModel(ReadOnlySpan<byte> body, RequestBodyInfo info, string model)
    {
        byte[] encoded = EncodeString(model);
        return Splice(body, info.ModelToken, encoded);
    }

    /// <summary>Returns <paramref name="body"/> with a <c>model</c> member added first (it had none), keeping every other byte.</summary>
    public static byte[] InsertModel(ReadOnlySpan<byte> body, RequestBodyInfo info, string model)
    {
        byte[] encoded = EncodeString(model);
        byte[] member = [.. "\"model\":"u8, .. encoded, .. (info.RootIsEmpty ? ""u8 : ","u8)];
        int at = info.RootStart + 1;
        return Splice(body, new Range(at, at), member);
    }

    /// <summary>Returns the body with <c>stream_options.include_usage</c> set to true, keeping every other byte.</summary>
    public static byte[] EnsureIncludeUsage(ReadOnlySpan<byte> body, RequestBodyInfo info)
    {
        if (info.IncludeUsageToken is Range token)
        {
            return Splice(body, token, "true"u8);
        }

        if (info.StreamOptionsStart >= 0)
        {
            int at = info.StreamOptionsStart + 1;
            ReadOnlySpan<byte> member = info.StreamOptionsIsEmpty ? "\"include_usage\":true"u8 : "\"include_usage\":true,"u8;
            return Splice(body, new Range(at, at), member);
        }

        if (info.StreamOptionsNonObjectToken is Range nonObject)
        {
            return Splice(body, nonObject, "{\"include_usage\":true}"u8);
        }

        int rootAt = info.RootStart + 1;
        ReadOnlySpan<byte> added = info.RootIsEmpty
            ? "\"stream_options\":{\"include_usage\":true}"u8
            : "\"stream_options\":{\"include_usage\":true},"u8;
        return Splice(body, new Range(rootAt, rootAt), added);
    }

    private static byte[] EncodeString(string value)
    {
        string json = JsonSerializer.Serialize(value, ModelEncoding);
        return Encoding.UTF8.GetBytes(json);
    }

    private static byte[] Splice(ReadOnlySpan<byte> body, Range range, ReadOnlySpan<byte> replacement)
    {
        (int offset, int length) = range.GetOffsetAndLength(body.Length);
        byte[] result = new byte[body.Length - length + replacement.Length];
        body[..offset].CopyTo(result);
        replacement.CopyTo(result.AsSpan(offset));
        body[(offset + length)..].CopyTo(result.AsSpan(offset + replacement.Length));
        return result;
    }
}
