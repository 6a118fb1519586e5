using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Authentication;
using AkkaProxy.Pipeline.Routing;

namespace AkkaProxy.Pipeline.Transport;

/// <summary>
/// Dials upstreams with its own HTTP/1.1 upgrade over a plain TCP connection (TLS with ALPN
/// <c>http/1.1</c> for <c>wss</c>) and hands the connection's stream to
/// <see cref="WebSocket.CreateFromStream(Stream, WebSocketCreationOptions)"/>: the relay's default.
/// Same URL, headers and <c>permessage-deflate</c> offer as <see cref="ClientWebSocketDialer"/>, and
/// the same failures (a <see cref="WebSocketException"/>, or <see cref="OperationCanceledException"/>
/// when <c>cancellationToken</c> is cancelled). What it saves: <see cref="ClientWebSocket"/> keeps
/// the HTTP connection it upgraded, with its 4 KiB read and 4 KiB write buffers, for the socket's
/// whole life; this socket holds only the TCP (or TLS) stream.
/// </summary>
/// <remarks>Uses no proxy and no cookies, follows no redirect. Thread-safe: it keeps nothing between dials.</remarks>
public sealed class Http1WebSocketDialer(WebSocketRelayOptions options) : IUpstreamWebSocketDialer
{
    /// <summary>Checks the upstream's TLS certificate; null: the system's trust (tests pass their own).</summary>
    internal RemoteCertificateValidationCallback? CertificateValidation { get; init; }

    /// <inheritdoc />
    public async ValueTask<WebSocket> ConnectAsync(Provider provider, WebSocketHandshake handshake, string? upstreamModel, CancellationToken cancellationToken)
    {
        Uri uri = ClientWebSocketDialer.UpstreamUri(provider, upstreamModel);
        string key = UpgradeHandshake.NewKey();
        byte[] request = UpgradeHandshake.Request(uri, key, options.UpstreamCompression, Headers(provider, handshake));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout); // the whole handshake, as ClientWebSocketDialer's
        Stream? stream = null;
        try
        {
            stream = await OpenAsync(uri, timeout.Token).ConfigureAwait(false);
            await stream.WriteAsync(request, timeout.Token).ConfigureAwait(false);
            await stream.FlushAsync(timeout.Token).ConfigureAwait(false);
            (UpgradeAnswer answer, byte[] extra) = await UpgradeHandshake.ReadAnswerAsync(stream, timeout.Token).ConfigureAwait(false);
            WebSocketDeflateOptions? deflate = UpgradeHandshake.Check(answer, key, options.UpstreamCompression);
            if (extra.Length > 0)
            {
                stream = new PrefixedStream(extra, stream);
            }

            WebSocket socket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions
            {
                IsServer = false,
                KeepAliveInterval = options.KeepAliveInterval,
                DangerousDeflateOptions = deflate,
            });
            UpgradeResponseHeaders.Remember(socket, answer.Headers);
            return socket;
        }
        catch (Exception ex)
        {
            if (stream is not null)
            {
                try
                {
                    await stream.DisposeAsync().ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // The dial's own failure is the one to report.
                }
            }

            if (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException("The dial was cancelled.", ex, cancellationToken); // the caller gave up, whatever failed meanwhile
            }

            if (ex is WebSocketException)
            {
                throw;
            }

            string message = ex is OperationCanceledException
                ? $"The upstream {uri.Host}:{uri.Port} did not complete the WebSocket handshake within {options.ConnectTimeout}."
                : $"Unable to connect to the upstream {uri.Host}:{uri.Port}: {ex.Message}";
            throw new WebSocketException(WebSocketError.Faulted, message, ex);
        }
    }

    private async ValueTask<Stream> OpenAsync(Uri uri, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new DnsEndPoint(uri.IdnHost, uri.Port), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var network = new NetworkStream(socket, ownsSocket: true);
        if (uri.Scheme != Uri.UriSchemeWss)
        {
            // A WebSocket reads each frame's header in small reads: buffered, one system call takes many
            // frames (TLS buffers its records itself).
            return new PooledReadStream(network);
        }

        var tls = new SslStream(network, leaveInnerStreamOpen: false, CertificateValidation);
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = uri.IdnHost,
                ApplicationProtocols = [SslApplicationProtocol.Http11],
                EnabledSslProtocols = SslProtocols.None, // the system's choice
            }, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return tls;
    }

    /// <summary>
    /// The upgrade's own headers after the handshake's: the client's forwarded ones (any the upgrade
    /// cannot carry are left out, as <see cref="ClientWebSocketDialer"/> leaves them), the provider's
    /// configured ones, and its key; a name given twice goes once, the later one kept (the key last).
    /// </summary>
    private static List<KeyValuePair<string, string>> Headers(Provider provider, WebSocketHandshake handshake)
    {
        KeyValuePair<string, string>? credential = provider.ApiKey is null ? null
            : provider.Kind == ProviderKind.AzureOpenAI ? new("api-key", provider.ApiKey) : new("Authorization", "Bearer " + provider.ApiKey);
        bool Overridden(string name) =>
            provider.Headers.ContainsKey(name) || (credential is { } c && c.Key.Equals(name, StringComparison.OrdinalIgnoreCase));

        var headers = new List<KeyValuePair<string, string>>(handshake.ForwardedHeaders.Count + provider.Headers.Count + 1);
        foreach (KeyValuePair<string, string> header in handshake.ForwardedHeaders)
        {
            if (UpgradeHandshake.CanCarry(header.Key, header.Value) && !Overridden(header.Key))
            {
                headers.Add(header);
            }
        }

        foreach ((string name, string value) in provider.Headers)
        {
            if (!UpgradeHandshake.CanCarry(name, value))
            {
                throw new ArgumentException($"The provider's header '{name}' cannot go on a WebSocket upgrade.", nameof(provider));
            }

            if (credential is not { } c || !c.Key.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                headers.Add(new(name, value));
            }
        }

        if (credential is { } key)
        {
            headers.Add(UpgradeHandshake.CanCarry(key.Key, key.Value) ? key
                : throw new ArgumentException("The provider's key cannot go on a WebSocket upgrade (it holds a control character).", nameof(provider)));
        }

        return headers;
    }
}
