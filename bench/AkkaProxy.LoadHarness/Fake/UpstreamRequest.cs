using System.Buffers;
using System.Text.Json;

namespace AkkaProxy.LoadHarness.Fake;

/// <summary>
/// What the fake needs from a request body or a WebSocket <c>response.create</c>: the top-level
/// <c>type</c>, <c>model</c>, <c>stream</c> and <c>stream_options.include_usage</c>. One forward pass,
/// nested values skipped.
/// </summary>
public readonly record struct UpstreamRequest(string? Type, string? Model, bool Stream, bool IncludeUsage)
{
    public static UpstreamRequest Parse(ReadOnlySequence<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        string? type = null, model = null;
        bool stream = false, includeUsage = false;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return default;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("model"u8))
            {
                reader.Read();
                model = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                type = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else if (reader.ValueTextEquals("stream"u8))
            {
                reader.Read();
                stream = reader.TokenType == JsonTokenType.True;
            }
            else if (reader.ValueTextEquals("stream_options"u8))
            {
                reader.Read();
                includeUsage = ReadIncludeUsage(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new UpstreamRequest(type, model, stream, includeUsage);
    }

    private static bool ReadIncludeUsage(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return false;
        }

        bool includeUsage = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool isIncludeUsage = reader.ValueTextEquals("include_usage"u8);
            reader.Read();
            if (isIncludeUsage)
            {
                includeUsage = reader.TokenType == JsonTokenType.True;
            }
            else
            {
                reader.Skip();
            }
        }

        return includeUsage;
    }
}
