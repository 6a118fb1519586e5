using AkkaProxy.Pipeline.Transport;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Host.Auth;

/// <summary>The 401 a client gets for a missing or wrong relay key, in its API's error shape.</summary>
internal static class AuthFailure
{
    public const string Message = "Invalid or missing relay key. Send it as 'Authorization: Bearer <key>' (or 'x-api-key' for Anthropic clients).";

    public static async Task WriteAsync(HttpContext context, ApiKind api)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(ErrorBodies.Json(api, api == ApiKind.AnthropicMessages ? "authentication_error" : "invalid_request_error", "invalid_api_key", Message)).ConfigureAwait(false);
    }
}
