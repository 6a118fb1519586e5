using System.Net.WebSockets;
using AkkaProxy.Pipeline.Routing;

namespace AkkaProxy.Pipeline.Transport;

/// <summary>
/// Dials upstreams with <see cref="ClientWebSocket"/>: <c>ws://</c> for an <c>http</c> base URL,
/// <c>wss://</c> for <c>https</c>, path <c>/v1/responses</c> (never doubled). It sends the provider's
/// key and configured headers and the client's forwarded headers (those an HTTP request would
/// forward), never the client's <c>Authorization</c> or <c>Sec-WebSocket-*</c>; it offers
/// <c>permessage-deflate</c> unless <see cref="WebSocketRelayOptions.UpstreamCompression"/> is off.
/// </summary>
/// <remarks>
/// Every upstream socket is opened through one shared <see cref="SocketsHttpHandler"/>: without it
/// <see cref="ClientWebSocket"/> builds a handler and a connection pool per connect, kept for the
/// socket's life. Like the HTTP path, it uses no system proxy and no cookies.
/// </remarks>
public sealed class ClientWebSocketDialer(WebSocketRelayOptions options) : IUpstreamWebSocketDialer, IDisposable
{
    private readonly HttpMessageInvoker _invoker = new(new SocketsHttpHandler
    {
        UseProxy = false,
        UseCookies = false,
        AllowAutoRedirect = false,
        ConnectTimeout = options.ConnectTimeout,
        // The relay puts its span's traceparent on the upgrade itself (in the handshake's headers);
        // the handler's own propagation would stamp whatever activity happens to be current.
        ActivityHeadersPropagator = null,
    }, disposeHandler: true);

    /// <inheritdoc />
    public void Dispose() => _invoker.Dispose();

    /// <summary>The upstream socket URL for <paramref name="provider"/>.</summary>
    internal static Uri UpstreamUri(Provider provider, string? upstreamModel = null)
    {
        // Azure OpenAI serves the WebSocket mode on its v1 surface, whatever api-version its HTTP calls use.
        string path = provider.Kind == ProviderKind.AzureOpenAI ? "/openai/v1/responses" : "/v1/responses";
        Uri http = provider.BuildUri(path, upstreamModel is null ? null : "model=" + Uri.EscapeDataString(upstreamModel));
        return new UriBuilder(http) { Scheme = http.Scheme == Uri.UriSchemeHttps ? "wss" : "ws" }.Uri;
    }

    /// <inheritdoc />
    public async ValueTask<WebSocket> ConnectAsync(Provider provider, WebSocketHandshake handshake, string? upstreamModel, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        try
        {
            socket.Options.KeepAliveInterval = options.KeepAliveInterval;
            socket.Options.CollectHttpResponseDetails = true; // the handshake's response headers, for the client's upgrade (WebSocketRelay.DialAheadAsync)
            if (options.UpstreamCompression)
            {
                socket.Options.DangerousDeflateOptions = new WebSocketDeflateOptions { ClientContextTakeover = false };
            }

            foreach ((string name, string value) in handshake.ForwardedHeaders)
            {
                try
                {
                    socket.Options.SetRequestHeader(name, value);
                }
                catch (ArgumentException)
                {
                    // A header name or value a WebSocket upgrade cannot carry: the upgrade goes without it.
                }
            }

            foreach ((string name, string value) in provider.Headers)
            {
                socket.Options.SetRequestHeader(name, value);
            }

            if (provider.ApiKey is not null)
            {
                if (provider.Kind == ProviderKind.AzureOpenAI)
                {
                    socket.Options.SetRequestHeader("api-key", provider.ApiKey);
                }
                else
                {
                    socket.Options.SetRequestHeader("Authorization", "Bearer " + provider.ApiKey);
                }
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.ConnectTimeout);
            await socket.ConnectAsync(UpstreamUri(provider, upstreamModel), _invoker, timeout.Token).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
