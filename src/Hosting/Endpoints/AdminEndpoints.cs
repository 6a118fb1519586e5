using System.Text.Json;
using System.Text.Json.Serialization;
using AkkaProxy.Hosting.Auth;
using AkkaProxy.Hosting.Billing;
using AkkaProxy.Hosting.Ledger;

namespace AkkaProxy.Hosting.Endpoints;

/// <summary>
/// For holders of the admin key: <c>GET /admin/usage?key=&amp;model=&amp;provider=&amp;from=&amp;to=&amp;limit=&amp;cursor=</c>,
/// billing records from the usage ledger, newest first, a page at a time (without the ledger: this
/// process's recent records); <c>GET /admin/ledger</c>, the usage ledger's state (records committed, records waiting);
/// <c>GET /admin/usage/summary?by=key|model|day&amp;from=&amp;to=</c>, tokens and cost per group from the ledger.
/// </summary>
public static class AdminEndpoints
{
    /// <summary>How records are written: snake_case names, kebab-case enum values (<c>client-aborted</c>).</summary>
    internal static readonly JsonSerializerOptions RecordJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        WriteIndented = false,
    };

    /// <summary>Maps the admin endpoints.</summary>
    public static IEndpointRouteBuilder MapAdminEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/admin/usage", async (HttpContext context, RelayKeyValidator keys, RecentRecordsSink recent, IServiceProvider services, string? limit, string? key, string? model, string? provider, string? from, string? to, string? cursor) =>
        {
            if (AdminAccess.Refusal(context, keys) is IResult refused)
            {
                return refused;
            }

            if (Parameters(limit, from, to, out int? count, out LedgerRange range) is IResult invalid)
            {
                return invalid;
            }

            if (services.GetService<ILedgerStore>() is not { } ledger)
            {
                // No ledger: the records of this process, newest first.
                return Results.Json(new { @object = "list", data = recent.Recent(Math.Clamp(count ?? 100, 1, 10_000)), has_more = false }, RecordJson);
            }

            try
            {
                LedgerPage page = await ledger.QueryAsync(new LedgerQuery(key, model, provider, range, Math.Clamp(count ?? 100, 1, 1000), cursor), context.RequestAborted).ConfigureAwait(false);
                return Results.Json(new { @object = "list", data = page.Records, has_more = page.NextCursor is not null, next_cursor = page.NextCursor }, RecordJson);
            }
            catch (FormatException ex)
            {
                return Results.Json(AdminAccess.Error(ex.Message, "invalid_cursor"), statusCode: StatusCodes.Status400BadRequest);
            }
        });
        app.MapGet("/admin/ledger", (HttpContext context, RelayKeyValidator keys, IServiceProvider services) =>
        {
            if (AdminAccess.Refusal(context, keys) is IResult refused)
            {
                return refused;
            }

            LedgerWriter? ledger = services.GetService<LedgerWriter>();
            return Results.Json(
                new { enabled = ledger is not null, acknowledged = ledger?.Acknowledged ?? 0, queued = ledger?.QueueDepth ?? 0 },
                RecordJson);
        });
        app.MapGet("/admin/usage/summary", async (HttpContext context, RelayKeyValidator keys, IServiceProvider services, string? by, string? from, string? to) =>
        {
            if (AdminAccess.Refusal(context, keys) is IResult refused)
            {
                return refused;
            }

            if (Parameters(null, from, to, out _, out LedgerRange range) is IResult invalid)
            {
                return invalid;
            }

            if (services.GetService<ILedgerStore>() is not { } ledger)
            {
                return Results.Json(AdminAccess.Error("The usage ledger is off (akkaproxy.ledger.enabled): there is nothing to summarize.", "ledger_disabled"), statusCode: StatusCodes.Status409Conflict);
            }

            if (!AdminDashboardEndpoints.TryEnum(by ?? "key", out LedgerGrouping grouping))
            {
                return Results.Json(AdminAccess.Error($"Unknown grouping '{by}': use by=key, by=model or by=day.", "invalid_grouping"), statusCode: StatusCodes.Status400BadRequest);
            }

            IReadOnlyList<LedgerSummaryRow> rows = await ledger.SummarizeAsync(grouping, range, context.RequestAborted).ConfigureAwait(false);
            return Results.Json(new { @object = "list", by = grouping, data = rows }, RecordJson);
        });
        return app;
    }

    /// <summary>
    /// Reads <c>limit</c> (a whole number) and <c>from</c>/<c>to</c> (ISO 8601 times); a value that does
    /// not read gets a 400 in the admin endpoints' error shape, naming the parameter, instead of
    /// ASP.NET Core's empty binding failure.
    /// </summary>
    internal static IResult? Parameters(string? limit, string? from, string? to, out int? count, out LedgerRange range)
    {
        count = null;
        range = new LedgerRange(null, null);
        if (limit is not null)
        {
            if (!int.TryParse(limit, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int parsed))
            {
                return Invalid("limit", limit, "a whole number");
            }

            count = parsed;
        }

        DateTimeOffset? start = null, end = null;
        if (from is not null && !TryTime(from, out start))
        {
            return Invalid("from", from, "an ISO 8601 time, e.g. 2026-12-01T00:00:00Z");
        }

        if (to is not null && !TryTime(to, out end))
        {
            return Invalid("to", to, "an ISO 8601 time, e.g. 2026-12-02T00:00:00Z");
        }

        range = new LedgerRange(start, end);
        return null;

        static bool TryTime(string text, out DateTimeOffset? time)
        {
            bool ok = DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out DateTimeOffset parsed);
            time = ok ? parsed : null;
            return ok;
        }

        static IResult Invalid(string name, string value, string expected) =>
            Results.Json(AdminAccess.Error($"'{name}' is '{value}'; it must be {expected}.", "invalid_parameter"), statusCode: StatusCodes.Status400BadRequest);
    }
}
