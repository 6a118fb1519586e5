using System.Net;

namespace AkkaProxy.Pipeline.Transport;

/// <summary>Creates the one <see cref="HttpMessageInvoker"/> the relay uses for every upstream.</summary>
public static class UpstreamClientFactory
{
    /// <summary>
    /// A <see cref="SocketsHttpHandler"/> that never buffers, follows no redirects, keeps no cookies,
    /// does not decompress (the relay decides), and does not drain an abandoned response: when a
    /// client goes away the upstream connection is closed at once, which is what cancels generation.
    /// </summary>
    public static HttpMessageInvoker Create(ProxyStreamOptions options) => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        UseProxy = false,
        AutomaticDecompression = DecompressionMethods.None,
        ConnectTimeout = options.ConnectTimeout,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90),
        MaxResponseDrainSize = 0,
        EnableMultipleHttp2Connections = true,
        ActivityHeadersPropagator = null,
    }, disposeHandler: true);
}
