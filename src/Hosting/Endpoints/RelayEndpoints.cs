using AkkaProxy.Hosting.Health;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using AkkaProxy.Hosting.Auth;
using AkkaProxy.Pipeline.Supervision;
using AkkaProxy.Pipeline.Transport;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Hosting.Endpoints;

/// <summary>The relay's API (Chat Completions, Responses, Messages and Gemini's generateContent, the model list, the WebSocket mode) and its health probes (<c>GET /healthz</c>: alive; <c>GET /readyz</c>: ready for requests, 503 with the failing checks otherwise).</summary>
public static class RelayEndpoints
{
    /// <summary>
    /// Maps the whole relay API: the model endpoints, <c>GET /v1/models</c> and the Responses
    /// WebSocket mode (<c>GET /v1/responses</c>), and beside them the health probes. Returns the
    /// API's conventions, so a service can put them behind its own policies
    /// (<c>app.MapAkkaProxy().RequireAuthorization("relay-users")</c>, rate limiting, CORS, metadata);
    /// the probes stay outside them, for the orchestrator to reach. Needs <c>app.UseWebSockets()</c>
    /// before it for the WebSocket mode.
    /// </summary>
    /// <returns>The conventions of every relay API endpoint (not of the probes).</returns>
    public static RouteGroupBuilder MapAkkaProxy(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder api = app.MapGroup("");
        MapApi(api);
        api.MapResponsesWebSocket();
        MapHealth(app);
        return api;
    }

    private static void MapApi(IEndpointRouteBuilder app)
    {
        app.MapPost(HttpRelay.PathOf(ApiKind.ChatCompletions), context => ForwardAsync(context, ApiKind.ChatCompletions));
        app.MapPost(HttpRelay.PathOf(ApiKind.Responses), context => ForwardAsync(context, ApiKind.Responses));
        app.MapPost(HttpRelay.PathOf(ApiKind.AnthropicMessages), context => ForwardAsync(context, ApiKind.AnthropicMessages));
        // Gemini: /v1beta/models/{model}:generateContent and :streamGenerateContent, the model possibly with a '/'.
        app.MapPost(HttpRelay.PathOf(ApiKind.GeminiGenerateContent) + "{**target}", context => ForwardAsync(context, ApiKind.GeminiGenerateContent));
        app.MapPost(GeminiPaths.StablePrefix + "{**target}", context => ForwardAsync(context, ApiKind.GeminiGenerateContent)); // Google's Gen AI SDKs call v1
        // Bedrock's runtime: /model/{modelId}/converse, /converse-stream, /invoke, /invoke-with-response-stream.
        app.MapPost(BedrockPaths.Prefix + "{**target}", context => ForwardAsync(context, BedrockPaths.ApiOf(context.Request.Path.Value)));
        // Azure OpenAI's clients: the deployment form (the deployment is the model) and the v1 surface.
        app.MapPost(AzurePaths.DeploymentsPrefix + "{**target}", context => ForwardAsync(context, ApiKind.ChatCompletions));
        app.MapPost("/openai/v1/chat/completions", context => ForwardAsync(context, ApiKind.ChatCompletions));
        app.MapPost("/openai/v1/responses", context => ForwardAsync(context, ApiKind.Responses));
        app.MapPost("/openai/responses", context => ForwardAsync(context, ApiKind.Responses));
        app.MapGet("/v1/models", ModelsEndpoint.ListAsync);
    }

    private static void MapHealth(IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapHealthChecks("/readyz", new HealthCheckOptions { ResponseWriter = ReadinessResponse.WriteAsync });
    }

    /// <remarks>Not async itself: the relay's task is returned, one state machine less per request.</remarks>
    private static Task ForwardAsync(HttpContext context, ApiKind api)
    {
        var keys = context.RequestServices.GetRequiredService<RelayKeyValidator>();
        string? presented = RelayKeyValidator.PresentedKey(context.Request);
        if (!keys.TryAuthenticate(presented, out string? keyId))
        {
            return AuthFailure.WriteAsync(context, api, presented is not null);
        }

        return context.RequestServices.GetRequiredService<HttpRelay>().ForwardAsync(context, api, keyId);
    }
}
