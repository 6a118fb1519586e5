using System.Net;
using AkkaProxy.Hosting.Cluster;
using AkkaProxy.Pipeline.Transport;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace AkkaProxy.Cluster.Affinity;

/// <summary>
/// Sends a client's request on to another relay node and relays that node's answer back as it comes
/// (status, headers, the body flushed as it is read, so a stream streams). The other node
/// authenticates, admits, serves and bills it as its own; the request carries
/// <see cref="AffinityHeaders.Forwarded"/>, so it is never sent on again.
/// </summary>
internal sealed class NodeForwarder(IServer server, RelayClusterOptions cluster, ILogger<NodeForwarder> logger) : IDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Expect",
        "Content-Length", "Content-Encoding", "Content-Type",
    };

    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(2),
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
    })
    { Timeout = Timeout.InfiniteTimeSpan };

    private string? _selfUrl;

    /// <summary>
    /// This node's relay URL as the others reach it: the server's first http address, its host
    /// replaced by <c>akkaproxy.cluster.public-hostname</c> (or <c>hostname</c>) when it listens on every address.
    /// Null before the server has started.
    /// </summary>
    public string? SelfUrl => _selfUrl ??= Resolve();

    /// <summary>Sends the request on to <paramref name="node"/>; false (nothing written) when that node could not be reached.</summary>
    public async ValueTask<bool> TryForwardAsync(HttpContext context, Uri node, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        HttpRequest request = context.Request;
        using var forwarded = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(node, request.Path + request.QueryString));
        forwarded.Content = new ReadOnlyMemoryContent(body);
        if (request.ContentType is { } contentType)
        {
            forwarded.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        foreach (KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues> header in request.Headers)
        {
            if (!HopByHop.Contains(header.Key) && !header.Key.StartsWith(':'))
            {
                forwarded.Headers.TryAddWithoutValidation(header.Key, (IEnumerable<string>)header.Value!);
            }
        }

        forwarded.Headers.TryAddWithoutValidation(AffinityHeaders.Forwarded, SelfUrl ?? "");
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(forwarded, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            logger.LogWarning(ex, "The relay node {Node} holding the conversation could not be reached; the request is served here.", node);
            return false;
        }

        using (response)
        {
            HttpResponse answer = context.Response;
            answer.StatusCode = (int)response.StatusCode;
            foreach (var header in response.Headers.Concat(response.Content.Headers))
            {
                if (!HopByHop.Contains(header.Key) || header.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase) || header.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                {
                    answer.Headers[header.Key] = header.Value.ToArray();
                }
            }

            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            try
            {
                await using Stream stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                byte[] buffer = new byte[16 * 1024];
                int read;
                while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    await answer.Body.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    await answer.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException)
            {
                // The other node went away mid-answer: the client's answer ends short, as the other node's own client's would.
                logger.LogWarning(ex, "The relay node {Node} ended its answer early.", node);
                context.Abort();
            }
        }

        return true;
    }

    private string? Resolve()
    {
        string? address = server.Features.Get<IServerAddressesFeature>()?.Addresses
            .FirstOrDefault(a => a.StartsWith("http://", StringComparison.OrdinalIgnoreCase));
        if (address is null || !Uri.TryCreate(address.Replace("://+:", "://0.0.0.0:").Replace("://*:", "://0.0.0.0:"), UriKind.Absolute, out Uri? uri) || uri.Port == 0)
        {
            return null;
        }

        string host = uri.Host is "0.0.0.0" or "[::]" or "::"
            ? (cluster.PublicHostname.Length > 0 ? cluster.PublicHostname : cluster.Hostname)
            : uri.Host;
        return new UriBuilder(uri.Scheme, host, uri.Port).Uri.ToString().TrimEnd('/');
    }

    public void Dispose() => _http.Dispose();
}
