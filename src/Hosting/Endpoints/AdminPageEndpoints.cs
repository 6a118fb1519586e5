using System.Reflection;
using AkkaProxy.Hosting.Auth;

namespace AkkaProxy.Hosting.Endpoints;

/// <summary>
/// <c>GET /admin</c> (admin key, Basic auth from a browser): the live usage page, and its static
/// files under <c>/admin/assets/</c>. The files are embedded in the host's assembly (from
/// <c>src/Host/AdminPage</c>), so <c>dotnet run</c> and a published host serve the same page with no
/// build step; the chart library is vendored there, never loaded from a CDN.
/// </summary>
internal static class AdminPageEndpoints
{
    /// <summary>
    /// The page's Content-Security-Policy: everything from the relay itself, nothing inline, nothing
    /// framed; the page is served by the relay, next to its keys.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly Dictionary<string, (string Resource, string ContentType)> Assets = new(StringComparer.Ordinal)
    {
        ["index.html"] = ("AkkaProxy.admin.index.html", "text/html; charset=utf-8"),
        ["admin.js"] = ("AkkaProxy.admin.admin.js", "text/javascript; charset=utf-8"),
        ["admin.css"] = ("AkkaProxy.admin.admin.css", "text/css; charset=utf-8"),
        ["chart.umd.js"] = ("AkkaProxy.admin.chart.umd.js", "text/javascript; charset=utf-8"),
        ["chart.js-LICENSE.md"] = ("AkkaProxy.admin.chart.js-LICENSE.md", "text/plain; charset=utf-8"),
    };

    private static readonly Dictionary<string, byte[]> Contents = new(StringComparer.Ordinal);

    /// <summary>Maps the page and its assets.</summary>
    public static IEndpointRouteBuilder MapAdminPage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/admin", (HttpContext context, RelayKeyValidator keys) => Serve(context, keys, "index.html"));
        app.MapGet("/admin/assets/{name}", (HttpContext context, RelayKeyValidator keys, string name) =>
            name == "index.html" ? Results.NotFound() : Serve(context, keys, name));
        return app;
    }

    private static IResult Serve(HttpContext context, RelayKeyValidator keys, string name)
    {
        if (AdminAccess.Refusal(context, keys) is IResult refused)
        {
            return refused;
        }

        if (!Assets.TryGetValue(name, out (string Resource, string ContentType) asset))
        {
            return Results.NotFound();
        }

        IHeaderDictionary headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-cache";
        return Results.Bytes(Content(asset.Resource), asset.ContentType);
    }

    private static byte[] Content(string resource)
    {
        lock (Contents)
        {
            if (!Contents.TryGetValue(resource, out byte[]? bytes))
            {
                using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)
                    ?? throw new InvalidOperationException($"The admin page's resource {resource} is not embedded in the host.");
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                Contents[resource] = bytes = copy.ToArray();
            }

            return bytes;
        }
    }
}
