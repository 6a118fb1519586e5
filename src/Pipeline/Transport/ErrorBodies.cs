using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using AkkaProxy.Pipeline.Framing;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Transport;

/// <summary>
/// Error bodies and terminal error events in each protocol's own shape, so an unmodified SDK reports
/// them as errors: OpenAI's <c>{"error":{message,type,param,code}}</c>, Anthropic's
/// <c>{"type":"error","error":{type,message}}</c>, the Responses <c>error</c> event, Google's
/// <c>{"error":{code,message,status,details}}</c> for Gemini, AWS's <c>{"__type","message"}</c> and an
/// event stream exception message for Bedrock.
/// </summary>
internal static class ErrorBodies
{
    // Relaxed escaping keeps quotes in messages readable ('gpt-4o', not \u0027gpt-4o\u0027); JSON stays valid.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A JSON error body for an HTTP response.</summary>
    /// <param name="api">The API whose shape the body takes.</param>
    /// <param name="type">OpenAI's error type (mapped to Anthropic's and Google's).</param>
    /// <param name="code">The relay's stable code.</param>
    /// <param name="message">What happened and what to do.</param>
    /// <param name="status">The HTTP status sent with it: Google's body carries it (and its canonical name); without it, the one the type implies.</param>
    public static byte[] Json(ApiKind api, string type, string code, string message, int? status = null)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            if (api == ApiKind.GeminiGenerateContent)
            {
                WriteGoogleError(json, type, code, message, status);
            }
            else if (api is ApiKind.BedrockConverse or ApiKind.BedrockInvoke)
            {
                // AWS's JSON error: the exception's name in __type (which AWS's SDKs read when the
                // x-amzn-ErrorType header is absent), its message, and the relay's code beside them.
                json.WriteString("__type", AwsExceptionName(type, code, status));
                json.WriteString("message", message);
                json.WriteString("reason", code);
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
        if (api is ApiKind.BedrockConverse or ApiKind.BedrockInvoke)
        {
            return BedrockStreamException(code, message);
        }

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
                    WriteGoogleError(json, "server_error", code, message, null);
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

    /// <summary>
    /// An exception message of AWS's event stream, as Bedrock ends a stream it cannot finish: the relay's
    /// failures are <c>internalServerException</c>, an upstream stream the relay could not read on is
    /// <c>modelStreamErrorException</c>. The relay only ever writes it at a message boundary.
    /// </summary>
    private static byte[] BedrockStreamException(string code, string message)
    {
        string exceptionType = code is "upstream_truncated" or "upstream_stream_corrupt" or "upstream_reset" ? "modelStreamErrorException" : "internalServerException";
        var payload = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(payload, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("message", message);
            json.WriteString("reason", code);
            json.WriteEndObject();
        }

        return AwsEventStreamEncoder.Encode(
            [new(":message-type", "exception"), new(":exception-type", exceptionType), new(":content-type", "application/json")],
            payload.WrittenSpan);
    }

    /// <summary>The Bedrock exception a relay refusal corresponds to, by its HTTP status.</summary>
    private static string AwsExceptionName(string type, string code, int? status) => (status ?? 0, type) switch
    {
        (401, _) or (_, "authentication_error") => "UnrecognizedClientException",
        (403, _) or (_, "permission_error") => "AccessDeniedException",
        (404, _) or (_, "not_found_error") => "ResourceNotFoundException",
        (429, _) or (_, "rate_limit_error" or "requests" or "tokens" or "insufficient_quota") => "ThrottlingException",
        (503, _) => "ServiceUnavailableException",
        (>= 400 and < 500, _) or (_, "invalid_request_error" or "request_too_large") => "ValidationException",
        _ when code == "relay_shutting_down" => "ServiceUnavailableException",
        _ => "InternalServerException",
    };

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
    private static void WriteGoogleError(Utf8JsonWriter json, string type, string code, string message, int? httpStatus)
    {
        int status = httpStatus ?? type switch
        {
            "invalid_request_error" or "request_too_large" => 400,
            "authentication_error" => 401,
            "permission_error" => 403,
            "not_found_error" => 404,
            "rate_limit_error" or "requests" or "tokens" or "insufficient_quota" => 429,
            _ when code == "relay_shutting_down" => 503,
            _ => 500,
        };
        string name = status switch
        {
            400 or 413 or 415 => "INVALID_ARGUMENT",
            401 => "UNAUTHENTICATED",
            403 => "PERMISSION_DENIED",
            404 => "NOT_FOUND",
            409 => "ABORTED",
            429 => "RESOURCE_EXHAUSTED",
            499 => "CANCELLED",
            501 => "UNIMPLEMENTED",
            503 => "UNAVAILABLE",
            504 => "DEADLINE_EXCEEDED",
            _ when status is >= 400 and < 500 => "FAILED_PRECONDITION",
            _ => "INTERNAL",
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
