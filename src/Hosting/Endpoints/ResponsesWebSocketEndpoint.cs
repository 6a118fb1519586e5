using AkkaProxy.Hosting.Auth;
using AkkaProxy.Hosting.Configuration;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Supervision;
using AkkaProxy.Pipeline.Transport;
using AkkaProxy.Pipeline.Usage;
using Microsoft.AspNetCore.Http.Features;

namespace AkkaProxy.Hosting.Endpoints;

/// <summary>
/// <c>GET /v1/responses</c> upgraded to a WebSocket (Responses WebSocket mode). Everything is checked
/// before the upgrade, so a refusal is an HTTP status with OpenAI's error JSON:
/// a browser <c>Origin</c> not on the allow-list → 403; a missing or wrong relay key → 401
/// (the key comes as <c>Authorization: Bearer</c> or as the <c>openai-insecure-api-key.&lt;key&gt;</c>
/// subprotocol, which is never echoed: offered alone, it is refused with 400); an unroutable
/// <c>?model=</c> → 400.
/// </summary>
internal static class ResponsesWebSocketEndpoint
{
    /// <summary>The subprotocol prefix browsers use to carry a key (they cannot set headers).</summary>
    public const string KeyProtocolPrefix = "openai-insecure-api-key.";

    /// <summary>Maps the endpoint.</summary>
    public static IEndpointRouteBuilder MapResponsesWebSocket(this IEndpointRouteBuilder app)
    {
        app.MapGet(HttpRelay.PathOf(ApiKind.Responses), HandleAsync);
        return app;
    }

    private static async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "websocket_upgrade_required",
                "GET /v1/responses is the Responses WebSocket endpoint: send an upgrade request, or POST /v1/responses for HTTP.").ConfigureAwait(false);
            return;
        }

        RelayAuthOptions auth = context.RequestServices.GetRequiredService<RelayAuthOptions>();
        string? origin = context.Request.Headers.Origin;
        if (origin is not null && !auth.AllowedOrigins.Contains(origin, StringComparer.OrdinalIgnoreCase))
        {
            await RefuseAsync(context, StatusCodes.Status403Forbidden, "origin_not_allowed",
                $"Origin '{origin}' may not open WebSockets on this relay; add it to akkaproxy.auth.allowed-origins.").ConfigureAwait(false);
            return;
        }

        IList<string> protocols = context.WebSockets.WebSocketRequestedProtocols;
        if (protocols.Count > 0 && ChooseProtocol(protocols) is null)
        {
            // The server must answer with an offered subprotocol, and the only one offered is the key:
            // echoing it would write the key into Sec-WebSocket-Protocol, where access logs and
            // intermediaries record it. Refused before the key is even checked.
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "subprotocol_required",
                $"The only WebSocket subprotocol offered is the key ('{KeyProtocolPrefix}…'), and the relay never echoes a key. Offer a second subprotocol beside it, such as '{CompanionProtocol}', and the relay answers with that one.").ConfigureAwait(false);
            return;
        }

        string? protocolKey = protocols.FirstOrDefault(p => p.StartsWith(KeyProtocolPrefix, StringComparison.Ordinal))?[KeyProtocolPrefix.Length..];
        var keys = context.RequestServices.GetRequiredService<RelayKeyValidator>();
        string? presented = RelayKeyValidator.PresentedKey(context.Request) ?? protocolKey;
        if (!keys.TryAuthenticate(presented, out string? keyId))
        {
            AuthFailure.Log(context, presented is not null);
            await RefuseAsync(context, StatusCodes.Status401Unauthorized, "invalid_api_key", AuthFailure.Message).ConfigureAwait(false);
            return;
        }

        string? model = context.Request.Query["model"];
        if (model is not null && !context.RequestServices.GetRequiredService<ModelRouter>().TryResolve(model, out _, out string error))
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "model_not_found", error).ConfigureAwait(false);
            return;
        }

        var handshake = new WebSocketHandshake(keyId, HeaderPolicy.UpgradeRequestHeaders(context.Request.Headers), model);
        WebSocketRelay relay = context.RequestServices.GetRequiredService<WebSocketRelay>();
        // Where the upgrade already names its provider, the upstream is dialled first, so its handshake
        // headers go back on the 101 as an HTTP response's headers would.
        UpstreamUpgrade? upstream = await relay.DialAheadAsync(handshake, context.RequestAborted).ConfigureAwait(false);
        try
        {
            HeaderPolicy.CopyUpgradeResponseHeaders(upstream?.ResponseHeaders, context.Response.Headers);
            var accept = new WebSocketAcceptContext
            {
                SubProtocol = ChooseProtocol(protocols),
                DangerousEnableCompression = relay.Options.Compression, // permessage-deflate, when the client offers it
                // A compressor per message, not per socket: one kept for a socket's life holds ~256 KiB of
                // zlib state, idle or not (docs/benchmarks.md).
                DisableServerContextTakeover = !relay.Options.CompressionContextTakeover,
                KeepAliveInterval = relay.Options.KeepAliveInterval, // the same setting as towards the upstream
            };
            using var socket = await context.WebSockets.AcceptWebSocketAsync(accept).ConfigureAwait(false);
            await relay.RelayAsync(socket, handshake, upstream, context.RequestAborted).ConfigureAwait(false);
        }
        finally
        {
            upstream?.Dispose(); // the accept failed: the session never took it
        }
    }

    /// <summary>The subprotocol the refusal suggests offering beside the key one.</summary>
    public const string CompanionProtocol = "openai-responses";

    /// <summary>
    /// A server must answer with one of the offered subprotocols (browsers fail the connection
    /// otherwise). The answer is the first one that is not the key; null when the key is all there is
    /// (the handshake is then refused: the key is never echoed).
    /// </summary>
    internal static string? ChooseProtocol(IList<string> offered) =>
        offered.FirstOrDefault(p => !p.StartsWith(KeyProtocolPrefix, StringComparison.Ordinal));

    private static async Task RefuseAsync(HttpContext context, int status, string code, string message)
    {
        string type = status == StatusCodes.Status403Forbidden ? "permission_error" : "invalid_request_error";
        await ErrorResponses.WriteAsync(context.Response, status, code, ErrorBodies.Json(ApiKind.Responses, type, code, message), context.RequestAborted).ConfigureAwait(false);
    }
}
