using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AkkaProxy.Hosting.Health;

/// <summary><c>GET /readyz</c>'s body: the status, and each check with its reason when it failed.</summary>
internal static class ReadinessResponse
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status == HealthStatus.Healthy ? "ready" : "not_ready",
            checks = report.Entries.ToDictionary(
                entry => entry.Key,
                entry => new { status = entry.Value.Status == HealthStatus.Healthy ? "ok" : "failing", reason = entry.Value.Description }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body));
    }
}
