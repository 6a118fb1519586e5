using System.Text.Json;

namespace AkkaProxy.Pipeline.Rewrite;

/// <summary>Reads the top level of a request body with <see cref="Utf8JsonReader"/>, recording offsets, not values.</summary>
internal static class RequestBodyReader
{
    /// <summary>Reads <paramref name="body"/>.</summary>
    /// <exception cref="RequestBodyException">The body is not a JSON object, or its <c>model</c> is not a single string.</exception>
    public static RequestBodyInfo Read(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new RequestBodyException("The request body must be a JSON object.");
            }

            var info = new RequestBodyInfo { RootStart = (int)reader.TokenStartIndex, StreamOptionsStart = -1, RootIsEmpty = true };
            bool sawModel = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                info = info with { RootIsEmpty = false };
                if (reader.ValueTextEquals("model"u8))
                {
                    reader.Read();
                    if (sawModel)
                    {
                        throw new RequestBodyException("The request body has more than one 'model' member.");
                    }

                    sawModel = true;
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        throw new RequestBodyException("'model' must be a string.");
                    }

                    int start = (int)reader.TokenStartIndex;
                    info = info with { Model = reader.GetString(), ModelToken = new Range(start, start + reader.ValueSpan.Length + 2) };
                }
                else if (reader.ValueTextEquals("stream"u8))
                {
                    reader.Read();
                    info = info with { Stream = reader.TokenType == JsonTokenType.True };
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    info = info with { Type = reader.TokenType == JsonTokenType.String ? reader.GetString() : null };
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("stream_id"u8))
                {
                    reader.Read();
                    info = info with { StreamId = reader.TokenType == JsonTokenType.String ? reader.GetString() : null };
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("previous_response_id"u8))
                {
                    reader.Read();
                    info = info with { PreviousResponseId = reader.TokenType == JsonTokenType.String ? reader.GetString() : null };
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("stream_options"u8))
                {
                    reader.Read();
                    info = ReadStreamOptions(ref reader, info);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                throw new RequestBodyException("The request body must hold exactly one JSON object.");
            }

            return info;
        }
        catch (JsonException ex)
        {
            throw new RequestBodyException($"The request body is not valid JSON: {ex.Message}");
        }
    }

    /// <summary>The end offset of the value token the reader is on (after it, for a container), leaving the reader on its last token.</summary>
    private static int TokenEnd(ref Utf8JsonReader reader)
    {
        int start = (int)reader.TokenStartIndex;
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
            case JsonTokenType.StartArray:
                reader.Skip();
                return (int)reader.TokenStartIndex + 1;
            case JsonTokenType.String:
                return start + reader.ValueSpan.Length + 2; // the raw (still escaped) bytes between the quotes
            default:
                return start + reader.ValueSpan.Length;
        }
    }

    private static RequestBodyInfo ReadStreamOptions(ref Utf8JsonReader reader, RequestBodyInfo info)
    {
        int start = (int)reader.TokenStartIndex;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return info with { StreamOptionsNonObjectToken = new Range(start, TokenEnd(ref reader)) };
        }

        info = info with { StreamOptionsStart = start, StreamOptionsIsEmpty = true };
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            info = info with { StreamOptionsIsEmpty = false };
            bool isIncludeUsage = reader.ValueTextEquals("include_usage"u8);
            reader.Read();
            if (isIncludeUsage && reader.TokenType is JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null)
            {
                int valueStart = (int)reader.TokenStartIndex;
                info = info with
                {
                    IncludeUsageToken = new Range(valueStart, valueStart + reader.ValueSpan.Length),
                    IncludeUsage = reader.TokenType == JsonTokenType.True,
                };
            }

            reader.Skip();
        }

        return info;
    }
}
