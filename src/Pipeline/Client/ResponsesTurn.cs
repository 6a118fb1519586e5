using System.Text.Json;
using System.Text.Json.Nodes;

namespace AkkaProxy.Pipeline.Client;

/// <summary>
/// One turn's request: the body of a Responses create request (<c>model</c>, <c>input</c>, <c>tools</c>,
/// <c>store</c>, …), sent as a <c>response.create</c> event. Immutable: the <c>With…</c> methods return a
/// new turn, and one turn may be sent any number of times.
/// </summary>
/// <remarks>
/// <para><c>previous_response_id</c> has three states, and the body or the methods set them:</para>
/// <list type="bullet">
/// <item>not set (the body has no such field): the conversation sends its <see cref="ResponsesConversation.LastResponseId"/>, if any;</item>
/// <item>an id (<c>"previous_response_id":"resp_…"</c>, or <see cref="WithPreviousResponse"/>): sent as given;</item>
/// <item>null (<c>"previous_response_id":null</c>, or <see cref="WithoutPreviousResponse"/>): nothing is
/// sent, and the turn starts a new chain (after <c>previous_response_not_found</c>, or to resend the full context).</item>
/// </list>
/// <para>The client writes <c>"type":"response.create"</c> first and copies every other field as given;
/// a body that already has a <c>type</c> must say <c>response.create</c>.</para>
/// </remarks>
public sealed class ResponsesTurn
{
    private const string PreviousField = "previous_response_id";
    private const string TypeField = "type";

    private readonly JsonElement _body;
    private readonly PreviousResponseChoice _choice;
    private readonly string? _previousResponseId;

    private ResponsesTurn(JsonElement body, PreviousResponseChoice choice, string? previousResponseId)
    {
        _body = body;
        _choice = choice;
        _previousResponseId = previousResponseId;
    }

    /// <summary>A turn from a JSON object (UTF-16 text).</summary>
    /// <exception cref="ArgumentException">The text is not a JSON object, or its <c>type</c> or <c>previous_response_id</c> has the wrong shape.</exception>
    public static ResponsesTurn FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return FromElement(Parse(() => JsonElement.Parse(json)));
    }

    /// <summary>A turn from a JSON object (UTF-8 bytes).</summary>
    /// <exception cref="ArgumentException">The bytes are not a JSON object, or its <c>type</c> or <c>previous_response_id</c> has the wrong shape.</exception>
    public static ResponsesTurn FromJson(ReadOnlySpan<byte> utf8Json)
    {
        byte[] copy = utf8Json.ToArray();
        return FromElement(Parse(() => JsonElement.Parse(copy)));
    }

    /// <summary>A turn from a <see cref="JsonObject"/>; the object is read now, so later changes to it do not reach the turn.</summary>
    /// <exception cref="ArgumentException">Its <c>type</c> or <c>previous_response_id</c> has the wrong shape.</exception>
    public static ResponsesTurn FromJson(JsonObject body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return FromElement(JsonElement.Parse(body.ToJsonString()));
    }

    /// <summary>This turn, continuing from <paramref name="responseId"/> whatever the conversation remembers.</summary>
    public ResponsesTurn WithPreviousResponse(string responseId)
    {
        ArgumentException.ThrowIfNullOrEmpty(responseId);
        return new ResponsesTurn(_body, PreviousResponseChoice.Explicit, responseId);
    }

    /// <summary>This turn, sent without <c>previous_response_id</c>: it starts a new chain.</summary>
    public ResponsesTurn WithoutPreviousResponse() => new(_body, PreviousResponseChoice.None, null);

    /// <summary>
    /// The <c>response.create</c> message for a conversation whose last response is
    /// <paramref name="lastResponseId"/>, and the <c>previous_response_id</c> it carries (null: none).
    /// </summary>
    internal (byte[] Message, string? PreviousResponseId) ToMessage(string? lastResponseId)
    {
        string? previous = _choice switch
        {
            PreviousResponseChoice.Automatic => lastResponseId,
            PreviousResponseChoice.Explicit => _previousResponseId,
            _ => null,
        };

        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString(TypeField, ResponsesEventTypes.Create);
            foreach (JsonProperty property in _body.EnumerateObject())
            {
                if (property.NameEquals(TypeField) || property.NameEquals(PreviousField))
                {
                    continue;
                }

                property.WriteTo(writer);
            }

            if (previous is not null)
            {
                writer.WriteString(PreviousField, previous);
            }

            writer.WriteEndObject();
        }

        return (buffer.WrittenSpan.ToArray(), previous);
    }

    private static JsonElement Parse(Func<JsonElement> parse)
    {
        try
        {
            return parse();
        }
        catch (JsonException ex)
        {
            throw new ArgumentException("A turn's body must be a JSON object (a Responses create request): " + ex.Message, "json", ex);
        }
    }

    private static ResponsesTurn FromElement(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException($"A turn's body must be a JSON object (a Responses create request), not {body.ValueKind}.", nameof(body));
        }

        if (body.TryGetProperty(TypeField, out JsonElement type) && !(type.ValueKind == JsonValueKind.String && type.ValueEquals(ResponsesEventTypes.Create)))
        {
            throw new ArgumentException($"A turn's \"type\" may only be \"{ResponsesEventTypes.Create}\" (or be left out: the client adds it).", nameof(body));
        }

        if (!body.TryGetProperty(PreviousField, out JsonElement previous))
        {
            return new ResponsesTurn(body, PreviousResponseChoice.Automatic, null);
        }

        return previous.ValueKind switch
        {
            JsonValueKind.Null => new ResponsesTurn(body, PreviousResponseChoice.None, null),
            JsonValueKind.String when previous.GetString() is { Length: > 0 } id => new ResponsesTurn(body, PreviousResponseChoice.Explicit, id),
            _ => throw new ArgumentException($"\"{PreviousField}\" must be a non-empty string or null.", nameof(body)),
        };
    }
}
