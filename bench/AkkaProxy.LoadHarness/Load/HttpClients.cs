using System.Net;

namespace AkkaProxy.LoadHarness.Load;

/// <summary>The load generator's HTTP client: one pooled <see cref="SocketsHttpHandler"/> per target, HTTP/1.1 keep-alive.</summary>
public static class HttpClients
{
    public static HttpMessageInvoker Create() => new(new SocketsHttpHandler
    {
        UseProxy = false,
        UseCookies = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        MaxConnectionsPerServer = 1024,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
        ConnectTimeout = TimeSpan.FromSeconds(5),
        ActivityHeadersPropagator = null,
    }, disposeHandler: true);
}
