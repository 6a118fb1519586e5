using System.Text.Json;
using System.Text.Json.Serialization;
using AkkaProxy.Host.Auth;
using AkkaProxy.Host.Billing;

namespace AkkaProxy.Host.Endpoints;

/// <summary><c>GET /admin/usage?limit=N</c>: recent billing records, newest first, for holders of the admin key.</summary>
public static class AdminEndpoints
{
    /// <summary>How records are written: snake_case names, kebab-case enum values (<c>client-aborted</c>).</summary>
    public static readonly JsonSerializerOptions RecordJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        WriteIndented = false,
    };

    /// <summary>Maps the admin endpoints.</summary>
    public static IEndpointRouteBuilder MapAdminEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/admin/usage", (HttpContext context, RelayKeyValidator keys, RecentRecordsSink recent, int? limit) =>
        {
            if (!keys.HasAdminKey)
            {
                return Results.Json(Error("The admin endpoint is disabled: set the admin key's environment variable (akkaproxy.auth.admin-key-env)."), statusCode: StatusCodes.Status403Forbidden);
            }

            if (!keys.IsAdmin(RelayKeyValidator.PresentedKey(context.Request)))
            {
                return Results.Json(Error("Invalid or missing admin key."), statusCode: StatusCodes.Status401Unauthorized);
            }

            return Results.Json(new { @object = "list", data = recent.Recent(Math.Clamp(limit ?? 100, 1, 10_000)) }, RecordJson);
        });
        return app;
    }

    private static object Error(string message) => new { error = new { message, type = "invalid_request_error", param = (string?)null, code = "admin_forbidden" } };
}
