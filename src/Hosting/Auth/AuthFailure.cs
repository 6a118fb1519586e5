using AkkaProxy.Pipeline.Transport;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Hosting.Auth;

/// <summary>
/// The 401 a client gets for a missing or wrong relay key, in its API's error shape, with
/// <c>x-should-retry: false</c> (the same key fails the same way); each is logged (never the key),
/// and billed nowhere.
/// </summary>
internal static class AuthFailure
{
    /// <summary>The log category of refused authentications.</summary>
    public const string LogCategory = "AkkaProxy.Hosting.Auth";

    /// <summary>Logs a refused authentication: where it came from and whether a key was <paramref name="presented"/> at all, never the key.</summary>
    public static void Log(HttpContext context, bool presented)
    {
        ILogger logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(LogCategory);
        logger.LogWarning("Refused {Method} {Path} from {RemoteAddress}: {Reason}.",
            context.Request.Method, context.Request.Path.Value, context.Connection.RemoteIpAddress, presented ? "the relay key is not one of this relay's" : "no relay key");
    }

    public const string Message = "Invalid or missing relay key. Send it as 'Authorization: Bearer <key>' (or 'x-api-key' for Anthropic clients, 'x-goog-api-key' for Gemini's).";

    public static async Task WriteAsync(HttpContext context, ApiKind api, bool presented)
    {
        Log(context, presented);
        byte[] body = ErrorBodies.Json(api, api is ApiKind.AnthropicMessages or ApiKind.GeminiGenerateContent or ApiKind.BedrockConverse or ApiKind.BedrockInvoke ? "authentication_error" : "invalid_request_error", "invalid_api_key", Message, StatusCodes.Status401Unauthorized);
        await ErrorResponses.WriteAsync(context.Response, StatusCodes.Status401Unauthorized, "invalid_api_key", body, context.RequestAborted).ConfigureAwait(false);
    }
}
