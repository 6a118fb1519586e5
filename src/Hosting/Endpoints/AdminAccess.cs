using AkkaProxy.Hosting.Auth;

namespace AkkaProxy.Hosting.Endpoints;

/// <summary>
/// Who may use <c>/admin*</c>: holders of the admin key, presented as <c>Authorization: Bearer</c> (or
/// <c>x-api-key</c>) or as the password of HTTP Basic auth (any user name), which is how a browser
/// sends it: a page navigation cannot carry a Bearer header, and the key never goes in a URL. A
/// request without it gets a 401 with a Basic challenge, so a browser asks for it.
/// </summary>
internal static class AdminAccess
{
    /// <summary>The challenge of a 401 (RFC 7617).</summary>
    public const string Challenge = "Basic realm=\"AkkaProxy admin\", charset=\"UTF-8\"";

    /// <summary>The answer to a request without the admin key, or null when it has it; compared in constant time.</summary>
    public static IResult? Refusal(HttpContext context, RelayKeyValidator keys)
    {
        if (!keys.HasAdminKey)
        {
            return Results.Json(Error("The admin endpoint is disabled: set the admin key's environment variable (akkaproxy.auth.admin-key-env)."), statusCode: StatusCodes.Status403Forbidden);
        }

        if (keys.IsAdmin(RelayKeyValidator.PresentedAdminKey(context.Request)))
        {
            return null;
        }

        context.Response.Headers.WWWAuthenticate = Challenge;
        return Results.Json(Error("Invalid or missing admin key."), statusCode: StatusCodes.Status401Unauthorized);
    }

    /// <summary>The admin endpoints' error shape (OpenAI's).</summary>
    public static object Error(string message, string code = "admin_forbidden") => new { error = new { message, type = "invalid_request_error", param = (string?)null, code } };
}
