using AkkaProxy.Hosting.Auth;
using AkkaProxy.Hosting.Billing;
using AkkaProxy.Hosting.Configuration;
using AkkaProxy.Hosting.Ledger;
using AkkaProxy.Pipeline.Billing;

namespace AkkaProxy.Hosting.Endpoints;

/// <summary>
/// The admin page's figures, for holders of the admin key, from the usage ledger (or, with the
/// ledger off, from this process's recent records: <c>source</c> says which):
/// <c>GET /admin/usage/series?by=key|model&amp;from=&amp;to=&amp;bucket=minute|hour|day</c> (spend and tokens
/// over time, each group's totals and the grand total beside the points), <c>GET /admin/usage/top?from=&amp;to=&amp;limit=</c> (the most expensive records),
/// <c>GET /admin/usage/outcomes?from=&amp;to=</c> (records per side and outcome, for error rates).
/// </summary>
internal static class AdminDashboardEndpoints
{
    /// <summary>Maps the three endpoints.</summary>
    public static IEndpointRouteBuilder MapAdminDashboardEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/admin/usage/series", async (HttpContext context, RelayKeyValidator keys, RecentRecordsSink recent, BillingOptions billing, TimeProvider time, IServiceProvider services, string? by, string? bucket, string? from, string? to) =>
        {
            if (AdminAccess.Refusal(context, keys) is IResult refused)
            {
                return refused;
            }

            if (AdminEndpoints.Parameters(null, from, to, out _, out LedgerRange range) is IResult invalid)
            {
                return invalid;
            }

            if (!TryEnum(by ?? "key", out LedgerGrouping grouping) || grouping == LedgerGrouping.Day)
            {
                return Invalid($"Unknown grouping '{by}': use by=key or by=model.", "invalid_grouping");
            }

            LedgerBucket width = BucketFor(range, time.GetUtcNow());
            if (bucket is not null && !TryEnum(bucket, out width))
            {
                return Invalid($"Unknown bucket '{bucket}': use bucket=minute, bucket=hour or bucket=day.", "invalid_bucket");
            }

            IReadOnlyList<LedgerSeriesPoint> points = services.GetService<ILedgerStore>() is { } ledger
                ? await ledger.SeriesAsync(grouping, width, range, context.RequestAborted).ConfigureAwait(false)
                : RecentLedgerReads.Series(recent.Recent(billing.RecentRecords), grouping, width, range);
            // Each group's sum over the range, in decimals (exact): the page shows these, not sums of its own in floating point.
            var totals = points.GroupBy(p => p.Group)
                .Select(g => new { group = g.Key, requests = g.Sum(p => p.Requests), input_tokens = g.Sum(p => p.InputTokens), output_tokens = g.Sum(p => p.OutputTokens), cost = g.Sum(p => p.Cost), unpriced_requests = g.Sum(p => p.UnpricedRequests) })
                .OrderByDescending(t => t.cost).ThenBy(t => t.group, StringComparer.Ordinal).ToArray();
            var total = new { requests = totals.Sum(t => t.requests), input_tokens = totals.Sum(t => t.input_tokens), output_tokens = totals.Sum(t => t.output_tokens), cost = totals.Sum(t => t.cost), unpriced_requests = totals.Sum(t => t.unpriced_requests) };
            return Results.Json(new { @object = "list", by = grouping, bucket = width, source = Source(services), data = points, totals, total }, AdminEndpoints.RecordJson);
        });
        app.MapGet("/admin/usage/top", async (HttpContext context, RelayKeyValidator keys, RecentRecordsSink recent, BillingOptions billing, IServiceProvider services, string? limit, string? from, string? to) =>
        {
            if (AdminAccess.Refusal(context, keys) is IResult refused)
            {
                return refused;
            }

            if (AdminEndpoints.Parameters(limit, from, to, out int? count, out LedgerRange range) is IResult invalid)
            {
                return invalid;
            }

            int top = Math.Clamp(count ?? 10, 1, 100);
            IReadOnlyList<BillingRecord> records = services.GetService<ILedgerStore>() is { } ledger
                ? await ledger.MostExpensiveAsync(range, top, context.RequestAborted).ConfigureAwait(false)
                : RecentLedgerReads.MostExpensive(recent.Recent(billing.RecentRecords), range, top);
            return Results.Json(new { @object = "list", source = Source(services), data = records }, AdminEndpoints.RecordJson);
        });
        app.MapGet("/admin/usage/outcomes", async (HttpContext context, RelayKeyValidator keys, RecentRecordsSink recent, BillingOptions billing, IServiceProvider services, string? from, string? to) =>
        {
            if (AdminAccess.Refusal(context, keys) is IResult refused)
            {
                return refused;
            }

            if (AdminEndpoints.Parameters(null, from, to, out _, out LedgerRange range) is IResult invalid)
            {
                return invalid;
            }

            IReadOnlyList<LedgerOutcomeCount> counts = services.GetService<ILedgerStore>() is { } ledger
                ? await ledger.OutcomesAsync(range, context.RequestAborted).ConfigureAwait(false)
                : RecentLedgerReads.Outcomes(recent.Recent(billing.RecentRecords), range);
            return Results.Json(new { @object = "list", source = Source(services), data = counts }, AdminEndpoints.RecordJson);
        });
        return app;
    }

    /// <summary>
    /// The bucket when none is asked for, by the range's span (to now when it has no end): minutes up
    /// to 3 hours, hours up to 3 days, days beyond it and when the range has no start; so a chart of
    /// the page's ranges (an hour, a day, a week, a month) has at most a few dozen points per group.
    /// </summary>
    internal static LedgerBucket BucketFor(LedgerRange range, DateTimeOffset now)
    {
        if (range.From is not { } from)
        {
            return LedgerBucket.Day;
        }

        TimeSpan span = (range.To ?? now) - from;
        return span <= TimeSpan.FromHours(3) ? LedgerBucket.Minute : span <= TimeSpan.FromDays(3) ? LedgerBucket.Hour : LedgerBucket.Day;
    }

    private static string Source(IServiceProvider services) => services.GetService<ILedgerStore>() is null ? "recent" : "ledger";

    /// <summary>Reads an enum parameter by name only: no numbers, no comma-joined flags.</summary>
    internal static bool TryEnum<T>(string text, out T value) where T : struct, Enum =>
        Enum.TryParse(text, ignoreCase: true, out value) && !int.TryParse(text, out _) && Enum.IsDefined(value);

    private static IResult Invalid(string message, string code) =>
        Results.Json(AdminAccess.Error(message, code), statusCode: StatusCodes.Status400BadRequest);
}
