using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace AkkaProxy.Pipeline.Transport;

/// <summary>
/// The WebSocket <c>error</c> event in OpenAI's nested protocol shape (docs/protocol-notes.md §A):
/// <c>{"type":"error","status":400,"stream_id"?,"error":{"type","code","message","param"}}</c>.
/// </summary>
internal static class ClientErrorEvent
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Builds the event.</summary>
    public static byte[] Create(int status, string code, string message, string? param = null, string? streamId = null, string type = "invalid_request_error")
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("type", "error");
            json.WriteNumber("status", status);
            if (streamId is not null)
            {
                json.WriteString("stream_id", streamId);
            }

            json.WriteStartObject("error");
            json.WriteString("type", type);
            json.WriteString("code", code);
            json.WriteString("message", message);
            if (param is null)
            {
                json.WriteNull("param");
            }
            else
            {
                json.WriteString("param", param);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
