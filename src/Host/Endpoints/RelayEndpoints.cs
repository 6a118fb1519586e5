using AkkaProxy.Host.Health;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using AkkaProxy.Host.Auth;
using AkkaProxy.Pipeline.Supervision;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Host.Endpoints;

/// <summary>The relay's HTTP API: the three model endpoints, the model list, health.</summary>
public static class RelayEndpoints
{
    /// <summary>
    /// Maps <c>POST /v1/chat/completions</c>, <c>POST /v1/responses</c>, <c>POST /v1/messages</c>,
    /// <c>GET /v1/models</c>, <c>GET /healthz</c> (the process is alive) and <c>GET /readyz</c> (ready for
    /// requests: not stopping, the actor system up, the ledger writable; 503 and the failing checks otherwise).
    /// </summary>
    public static IEndpointRouteBuilder MapRelayEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost(HttpRelay.PathOf(ApiKind.ChatCompletions), context => ForwardAsync(context, ApiKind.ChatCompletions));
        app.MapPost(HttpRelay.PathOf(ApiKind.Responses), context => ForwardAsync(context, ApiKind.Responses));
        app.MapPost(HttpRelay.PathOf(ApiKind.AnthropicMessages), context => ForwardAsync(context, ApiKind.AnthropicMessages));
        app.MapGet("/v1/models", ModelsEndpoint.ListAsync);
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapHealthChecks("/readyz", new HealthCheckOptions { ResponseWriter = ReadinessResponse.WriteAsync });
        return app;
    }

    private static async Task ForwardAsync(HttpContext context, ApiKind api)
    {
        var keys = context.RequestServices.GetRequiredService<RelayKeyValidator>();
        string? presented = RelayKeyValidator.PresentedKey(context.Request);
        if (!keys.TryAuthenticate(presented, out string? keyId))
        {
            await AuthFailure.WriteAsync(context, api, presented is not null).ConfigureAwait(false);
            return;
        }

        await context.RequestServices.GetRequiredService<HttpRelay>().ForwardAsync(context, api, keyId).ConfigureAwait(false);
    }
}
