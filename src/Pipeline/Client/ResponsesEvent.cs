using System.Text.Json;

namespace AkkaProxy.Pipeline.Client;

/// <summary>
/// One server event of a turn: its <see cref="Type"/>, its JSON exactly as received
/// (<see cref="Utf8Json"/>, also parsed as <see cref="Json"/>) and the fields a caller most often needs.
/// Immutable; it owns its bytes, so it may be kept after the turn.
/// </summary>
public sealed class ResponsesEvent
{
    private ResponsesEvent(string type, ReadOnlyMemory<byte> utf8Json, JsonElement json, string? responseId, string? errorCode)
    {
        Type = type;
        Utf8Json = utf8Json;
        Json = json;
        ResponseId = responseId;
        ErrorCode = errorCode;
    }

    /// <summary>The event's <c>type</c>: <c>response.created</c>, <c>response.output_text.delta</c>, <c>error</c>, ….</summary>
    public string Type { get; }

    /// <summary>The event's JSON, byte for byte as the server sent it.</summary>
    public ReadOnlyMemory<byte> Utf8Json { get; }

    /// <summary>The event's JSON, parsed.</summary>
    public JsonElement Json { get; }

    /// <summary>The <c>response.id</c> of events that carry the response object (<c>response.created</c>, the terminal ones, …); otherwise null.</summary>
    public string? ResponseId { get; }

    /// <summary>
    /// For an <c>error</c> event, its code, from either shape (<c>code</c>, or <c>error.code</c> as in
    /// <c>previous_response_not_found</c> and <c>websocket_connection_limit_reached</c>); for
    /// <c>response.failed</c>, <c>response.error.code</c>; otherwise null.
    /// </summary>
    public string? ErrorCode { get; }

    /// <summary>
    /// True for the event that ends a turn: <c>response.completed</c>, <c>response.incomplete</c>,
    /// <c>response.failed</c> or <c>error</c>. It is the last event a turn's enumeration yields.
    /// </summary>
    public bool IsTerminal => Type is ResponsesEventTypes.Completed or ResponsesEventTypes.Incomplete or ResponsesEventTypes.Failed or ResponsesEventTypes.Error;

    /// <summary>Reads an event from a received message; the bytes are copied.</summary>
    /// <exception cref="ResponsesWebSocketException">The message is not a JSON object with a string <c>type</c>.</exception>
    internal static ResponsesEvent Parse(ReadOnlySpan<byte> message)
    {
        byte[] copy = message.ToArray();
        JsonElement json;
        try
        {
            json = JsonElement.Parse(copy);
        }
        catch (JsonException ex)
        {
            throw new ResponsesWebSocketException("The server sent a message that is not JSON; the socket was discarded.", ex);
        }

        if (json.ValueKind != JsonValueKind.Object || !json.TryGetProperty("type", out JsonElement type) || type.ValueKind != JsonValueKind.String)
        {
            throw new ResponsesWebSocketException("The server sent an event without a string \"type\"; the socket was discarded.");
        }

        string? responseId = null;
        string? errorCode = null;
        if (json.TryGetProperty("response", out JsonElement response) && response.ValueKind == JsonValueKind.Object)
        {
            responseId = StringOf(response, "id");
            if (response.TryGetProperty("error", out JsonElement failure) && failure.ValueKind == JsonValueKind.Object)
            {
                errorCode = StringOf(failure, "code");
            }
        }

        if (type.ValueEquals(ResponsesEventTypes.Error))
        {
            errorCode = json.TryGetProperty("error", out JsonElement nested) && nested.ValueKind == JsonValueKind.Object
                ? StringOf(nested, "code")
                : StringOf(json, "code");
        }

        return new ResponsesEvent(type.GetString()!, copy, json, responseId, errorCode);
    }

    private static string? StringOf(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
