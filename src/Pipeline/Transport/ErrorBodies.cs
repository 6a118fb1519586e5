using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Transport;

/// <summary>
/// Error bodies and terminal error events in each protocol's own shape, so an unmodified SDK reports
/// them as errors: OpenAI's <c>{"error":{message,type,param,code}}</c>, Anthropic's
/// <c>{"type":"error","error":{type,message}}</c>, the Responses <c>error</c> event, Google's
/// <c>{"error":{code,message,status,details}}</c> for Gemini.
/// </summary>
internal static class ErrorBodies
{
    // Relaxed escaping keeps quotes in messages readable ('gpt-4o', not \u0027gpt-4o\u0027); JSON stays valid.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A JSON error body for an HTTP response.</summary>
    public static byte[] Json(ApiKind api, string type, string code, string message)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            if (api == ApiKind.GeminiGenerateContent)
            {
                WriteGoogleError(json, type, code, message);
            }
            else if (api == ApiKind.AnthropicMessages)
            {
                json.WriteString("type", "error");
                json.WriteStartObject("error");
                json.WriteString("type", AnthropicType(type));
                json.WriteString("message", message);
                json.WriteString("code", code);
                json.WriteEndObject();
            }
            else
            {
                WriteOpenAIError(json, type, code, message);
            }

            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A terminal SSE event that tells the client the stream failed.</summary>
    /// <param name="api">The stream's API.</param>
    /// <param name="code">A stable code such as <c>upstream_reset</c>.</param>
    /// <param name="message">What happened.</param>
    /// <param name="lastSequenceNumber">For Responses, the last <c>sequence_number</c> relayed (the error gets the next one).</param>
    public static byte[] StreamEvent(ApiKind api, string code, string message, long lastSequenceNumber)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        // The leading line end closes an upstream event left without its blank line, so the error never
        // merges into it; where the stream was already at an event boundary it is an empty line, a no-op in SSE.
        buffer.Write(api is ApiKind.ChatCompletions or ApiKind.GeminiGenerateContent ? "\ndata: "u8 : "\nevent: error\ndata: "u8);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            switch (api)
            {
                case ApiKind.ChatCompletions:
                    WriteOpenAIError(json, "server_error", code, message);
                    break;
                case ApiKind.GeminiGenerateContent:
                    WriteGoogleError(json, "server_error", code, message);
                    break;
                case ApiKind.Responses:
                    json.WriteString("type", "error");
                    json.WriteNumber("sequence_number", lastSequenceNumber + 1);
                    json.WriteString("code", code);
                    json.WriteString("message", message);
                    json.WriteNull("param");
                    break;
                default:
                    json.WriteString("type", "error");
                    json.WriteStartObject("error");
                    json.WriteString("type", "api_error");
                    json.WriteString("message", message);
                    json.WriteEndObject();
                    break;
            }

            json.WriteEndObject();
        }

        buffer.Write("\n\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteOpenAIError(Utf8JsonWriter json, string type, string code, string message)
    {
        json.WriteStartObject("error");
        json.WriteString("message", message);
        json.WriteString("type", type);
        json.WriteNull("param");
        json.WriteString("code", code);
        json.WriteEndObject();
    }

    /// <summary>
    /// Google's error object: the HTTP status as <c>code</c>, its canonical name as <c>status</c>, and the
    /// relay's own code as an <c>ErrorInfo</c> reason (domain <c>akkaproxy</c>), as Google's APIs carry theirs.
    /// </summary>
    private static void WriteGoogleError(Utf8JsonWriter json, string type, string code, string message)
    {
        (int status, string name) = type switch
        {
            "invalid_request_error" or "request_too_large" => (400, "INVALID_ARGUMENT"),
            "authentication_error" => (401, "UNAUTHENTICATED"),
            "permission_error" => (403, "PERMISSION_DENIED"),
            "not_found_error" => (404, "NOT_FOUND"),
            "rate_limit_error" or "requests" or "tokens" or "insufficient_quota" => (429, "RESOURCE_EXHAUSTED"),
            _ when code == "relay_shutting_down" => (503, "UNAVAILABLE"),
            _ => (500, "INTERNAL"),
        };
        json.WriteStartObject("error");
        json.WriteNumber("code", status);
        json.WriteString("message", message);
        json.WriteString("status", name);
        json.WriteStartArray("details");
        json.WriteStartObject();
        json.WriteString("@type", "type.googleapis.com/google.rpc.ErrorInfo");
        json.WriteString("reason", code);
        json.WriteString("domain", "akkaproxy");
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static string AnthropicType(string openAIType) => openAIType switch
    {
        "invalid_request_error" => "invalid_request_error",
        "authentication_error" => "authentication_error",
        "permission_error" => "permission_error",
        "not_found_error" => "not_found_error",
        "rate_limit_error" or "requests" or "tokens" or "insufficient_quota" => "rate_limit_error",
        "request_too_large" => "request_too_large",
        _ => "api_error",
    };
}
