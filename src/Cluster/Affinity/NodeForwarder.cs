using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
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
/// <remarks>
/// The request is served here instead only when the other node surely did not take it: its
/// connection could not be made, or it answered that it is draining (having billed nothing). Once
/// the request may have reached it, a failure is a 502 to the client, never a second try here: the
/// other node may have sent it upstream already.
/// </remarks>
internal sealed class NodeForwarder : IDisposable
{
    private static readonly HashSet<string> NotForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Expect",
        "Content-Length", "Content-Encoding", "Content-Type", "Accept-Encoding",
        "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto",
    };

    private static readonly HashSet<string> NotRelayed = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Upgrade",
    };

    private static readonly HttpRequestOptionsKey<StrongBox<bool>> Connecting = new("akkaproxy.connecting");

    private readonly IServer _server;
    private readonly RelayClusterOptions _cluster;
    private readonly ILogger<NodeForwarder> _logger;
    private readonly HttpClient _http;
    private string? _selfUrl;

    public NodeForwarder(IServer server, RelayClusterOptions cluster, ILogger<NodeForwarder> logger)
    {
        _server = server;
        _cluster = cluster;
        _logger = logger;
        _http = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            ConnectCallback = ConnectAsync,
        })
        { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>How long a connection to another node may take before the request is served here.</summary>
    internal static TimeSpan ConnectTimeout { get; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// This node's relay URL as the others reach it: <c>akkaproxy.cluster.http-url</c> when set;
    /// otherwise the server's first http address, its host replaced by <c>public-hostname</c> (or
    /// <c>hostname</c>) when it listens on every address. Null before the server has started.
    /// </summary>
    public string? SelfUrl => _selfUrl ??= Resolve();

    /// <summary>Sends the request on to <paramref name="node"/>; false (nothing written) when that node surely did not take it.</summary>
    public async ValueTask<bool> TryForwardAsync(HttpContext context, Uri node, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        using HttpRequestMessage forwarded = Build(context, node, body);
        var connecting = new StrongBox<bool>();
        forwarded.Options.Set(Connecting, connecting);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(forwarded, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return true; // the client is gone: nothing to answer, here or there
        }
        catch (Exception ex) when (ex is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError } || (ex is OperationCanceledException && connecting.Value))
        {
            _logger.LogWarning(ex, "The relay node {Node} holding the conversation could not be reached; the request is served here.", node);
            return false;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            _logger.LogWarning(ex, "The relay node {Node} holding the conversation failed before it answered; the client gets 502.", node);
            await WriteUnansweredAsync(context).ConfigureAwait(false);
            return true;
        }

        using (response)
        {
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable && response.Headers.Contains(AffinityHeaders.Draining))
            {
                return false; // it is draining and billed nothing: served here
            }

            await RelayAsync(context, node, response, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    private HttpRequestMessage Build(HttpContext context, Uri node, ReadOnlyMemory<byte> body)
    {
        HttpRequest request = context.Request;
        var forwarded = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(node, request.PathBase + request.Path + request.QueryString))
        {
            Content = new ReadOnlyMemoryContent(body),
        };
        if (request.ContentType is { } contentType)
        {
            forwarded.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        HashSet<string>? connectionListed = request.Headers.Connection.Count == 0 ? null
            : [.. request.Headers.Connection.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))];
        foreach (KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues> header in request.Headers)
        {
            if (!NotForwarded.Contains(header.Key) && !header.Key.StartsWith(':') && connectionListed?.Contains(header.Key, StringComparer.OrdinalIgnoreCase) != true
                && !forwarded.Headers.TryAddWithoutValidation(header.Key, (IEnumerable<string>)header.Value!))
            {
                forwarded.Content.Headers.TryAddWithoutValidation(header.Key, (IEnumerable<string>)header.Value!);
            }
        }

        // Who asked, as the other node would have seen it.
        string? client = context.Connection.RemoteIpAddress?.ToString();
        string? before = request.Headers["X-Forwarded-For"];
        if (client is not null)
        {
            forwarded.Headers.TryAddWithoutValidation("X-Forwarded-For", string.IsNullOrEmpty(before) ? client : before + ", " + client);
        }

        forwarded.Headers.TryAddWithoutValidation("X-Forwarded-Host", request.Host.Value);
        forwarded.Headers.TryAddWithoutValidation("X-Forwarded-Proto", request.Scheme);
        forwarded.Headers.TryAddWithoutValidation(AffinityHeaders.Forwarded, SelfUrl ?? "");
        return forwarded;
    }

    private async Task RelayAsync(HttpContext context, Uri node, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        HttpResponse answer = context.Response;
        answer.StatusCode = (int)response.StatusCode;
        foreach (KeyValuePair<string, IEnumerable<string>> header in response.Headers.Concat(response.Content.Headers))
        {
            if (!NotRelayed.Contains(header.Key))
            {
                answer.Headers[header.Key] = header.Value.ToArray();
            }
        }

        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        byte[] buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            await using Stream stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                await answer.Body.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                await answer.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client left: disposing the response ends the other node's request, which bills it as the client's abort.
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException or OperationCanceledException)
        {
            // The other node went away mid-answer: the client's answer ends short, as that node's own client's would.
            _logger.LogWarning(ex, "The relay node {Node} ended its answer early.", node);
            context.Abort();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The other node may or may not have served it: a 502 in OpenAI's shape, never a second try here.</summary>
    private static async Task WriteUnansweredAsync(HttpContext context)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return;
        }

        context.Response.StatusCode = StatusCodes.Status502BadGateway;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync("""{"error":{"message":"The relay node holding this conversation failed before it answered; the request may have been served. Retry it if it was not.","type":"server_error","param":null,"code":"relay_node_failed"}}""").ConfigureAwait(false);
    }

    /// <summary>Connects with a bound, and marks the request as still connecting while it does (a failure then means it was never sent).</summary>
    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext connection, CancellationToken cancellationToken)
    {
        StrongBox<bool>? connecting = connection.InitialRequestMessage.Options.TryGetValue(Connecting, out StrongBox<bool>? box) ? box : null;
        if (connecting is not null)
        {
            connecting.Value = true;
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bound.CancelAfter(ConnectTimeout);
            await socket.ConnectAsync(connection.DnsEndPoint, bound.Token).ConfigureAwait(false);
            if (connecting is not null)
            {
                connecting.Value = false;
            }

            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private string? Resolve()
    {
        if (_cluster.HttpUrl.Length > 0)
        {
            return _cluster.HttpUrl.TrimEnd('/');
        }

        string? address = _server.Features.Get<IServerAddressesFeature>()?.Addresses
            .FirstOrDefault(a => a.StartsWith("http://", StringComparison.OrdinalIgnoreCase));
        if (address is null || !Uri.TryCreate(address.Replace("://+:", "://0.0.0.0:").Replace("://*:", "://0.0.0.0:"), UriKind.Absolute, out Uri? uri) || uri.Port == 0)
        {
            return null;
        }

        string host = uri.Host is "0.0.0.0" or "[::]" or "::"
            ? (_cluster.PublicHostname.Length > 0 ? _cluster.PublicHostname : _cluster.Hostname)
            : uri.Host;
        return new UriBuilder(uri.Scheme, host, uri.Port).Uri.ToString().TrimEnd('/');
    }

    public void Dispose() => _http.Dispose();
}
