using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace AkkaProxy.Pipeline.Pooling;

/// <summary>
/// An HTTP <c>POST /v1/responses</c> body as the WebSocket mode's <c>response.create</c> event
/// (protocol-notes §A): <c>"type":"response.create"</c> beside the body's own fields, without the HTTP
/// transport fields <c>stream</c> and <c>background</c> (and without <c>stream_id</c>, which exists
/// only on a socket: the bridge uses the default lane). Every kept field is copied byte for byte.
/// </summary>
internal static class ResponseCreateEvent
{
    private static ReadOnlySpan<byte> Prefix => "{\"type\":\"response.create\""u8;

    /// <summary>The event, and the request's <c>previous_response_id</c> if it has one.</summary>
    /// <exception cref="JsonException">The body is not a JSON object.</exception>
    public static byte[] From(ReadOnlyMemory<byte> body, out string? previousResponseId)
    {
        previousResponseId = null;
        using JsonDocument document = JsonDocument.Parse(body);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("A Responses request body is a JSON object.");
        }

        var buffer = new ArrayBufferWriter<byte>(body.Length + Prefix.Length + 2);
        buffer.Write(Prefix);
        foreach (JsonProperty property in document.RootElement.EnumerateObject())
        {
            if (property.NameEquals("stream"u8) || property.NameEquals("background"u8) || property.NameEquals("type"u8) || property.NameEquals("stream_id"u8))
            {
                continue;
            }

            if (property.NameEquals("previous_response_id"u8) && property.Value.ValueKind == JsonValueKind.String)
            {
                previousResponseId = property.Value.GetString();
            }

            buffer.Write(",\""u8);
            buffer.Write(JsonMarshal.GetRawUtf8PropertyName(property));
            buffer.Write("\":"u8);
            buffer.Write(JsonMarshal.GetRawUtf8Value(property.Value));
        }

        buffer.Write("}"u8);
        return buffer.WrittenSpan.ToArray();
    }
}
