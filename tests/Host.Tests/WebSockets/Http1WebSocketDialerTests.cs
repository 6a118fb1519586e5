using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Transport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AkkaProxy.Host.Tests.WebSockets;

/// <summary>
/// The relay's own upgrade dialer against real servers: Kestrel over TLS (a self-signed certificate
/// the test trusts by its thumbprint), and raw sockets for what Kestrel never does (frames right
/// behind the 101, no answer at all).
/// </summary>
public sealed class Http1WebSocketDialerTests
{
    private static readonly WebSocketHandshake NoClientHeaders = new(null, []);

    [Fact]
    public async Task OverTls_ItNegotiatesDeflate_SendsTheKeyAndHeaders_AndCarriesMessagesBothWays()
    {
        using X509Certificate2 certificate = SelfSigned();
        string? authorization = null, extensions = null, custom = null, forwarded = null;
        await using WebApplication server = await StartAsync(certificate, async ctx =>
        {
            authorization = ctx.Request.Headers.Authorization;
            extensions = ctx.Request.Headers.SecWebSocketExtensions;
            custom = ctx.Request.Headers["x-provider"];
            forwarded = ctx.Request.Headers["x-client"];
            ctx.Response.Headers["openai-model"] = "gpt-echo";
            using WebSocket ws = await ctx.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { DangerousEnableCompression = true });
            var buffer = new byte[1024];
            WebSocketReceiveResult got = await ws.ReceiveAsync(buffer, CancellationToken.None);
            await ws.SendAsync(buffer.AsMemory(0, got.Count), WebSocketMessageType.Text, true, CancellationToken.None);
            await ws.ReceiveAsync(buffer, CancellationToken.None); // the close
        });
        var dialer = new Http1WebSocketDialer(new WebSocketRelayOptions())
        {
            CertificateValidation = (_, presented, _, _) => presented is not null && presented.GetCertHashString() == certificate.GetCertHashString(),
        };
        Provider provider = ProviderAt(new Uri(server.Urls.First()), headers: new() { ["x-provider"] = "configured" });

        using WebSocket socket = await dialer.ConnectAsync(provider, new WebSocketHandshake(null, [new("x-client", "forwarded"), new("Authorization", "Bearer client-key")]), null, CancellationToken.None);
        IReadOnlyDictionary<string, IEnumerable<string>> answerHeaders = UpgradeResponseHeaders.Take(socket);
        await socket.SendAsync(Encoding.UTF8.GetBytes(new string('a', 600)), WebSocketMessageType.Text, true, CancellationToken.None);
        var received = new byte[1024];
        WebSocketReceiveResult echo = await socket.ReceiveAsync(received, CancellationToken.None);
        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);

        Assert.Equal("Bearer sk-provider", authorization); // the provider's key replaced the client's
        Assert.Equal("configured", custom);
        Assert.Equal("forwarded", forwarded);
        Assert.Contains("permessage-deflate", extensions, StringComparison.Ordinal);
        Assert.Contains("permessage-deflate", Assert.Single(answerHeaders["Sec-WebSocket-Extensions"]), StringComparison.Ordinal);
        Assert.Equal("gpt-echo", Assert.Single(answerHeaders["openai-model"]));
        Assert.Empty(UpgradeResponseHeaders.Take(socket)); // taken once, then forgotten
        Assert.Equal(600, echo.Count);
        Assert.Equal(new string('a', 600), Encoding.UTF8.GetString(received, 0, echo.Count));
    }

    [Fact]
    public async Task OverTls_ACertificateNotTrusted_IsAWebSocketError()
    {
        using X509Certificate2 certificate = SelfSigned();
        await using WebApplication server = await StartAsync(certificate, _ => Task.CompletedTask);
        var dialer = new Http1WebSocketDialer(new WebSocketRelayOptions()); // the system's trust: a self-signed certificate fails

        WebSocketException failed = await Assert.ThrowsAsync<WebSocketException>(async () =>
            await dialer.ConnectAsync(ProviderAt(new Uri(server.Urls.First())), NoClientHeaders, null, CancellationToken.None));

        Assert.IsAssignableFrom<System.Security.Authentication.AuthenticationException>(failed.InnerException);
    }

    [Fact]
    public async Task AFrameSentRightBehindThe101_IsReceived()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Task serve = Task.Run(async () =>
        {
            using TcpClient client = await listener.AcceptTcpClientAsync();
            NetworkStream stream = client.GetStream();
            string request = await ReadHeadAsync(stream);
            string key = request.Split("\r\n").Single(l => l.StartsWith("Sec-WebSocket-Key:", StringComparison.OrdinalIgnoreCase))["Sec-WebSocket-Key:".Length..].Trim();
            byte[] answer = Encoding.ASCII.GetBytes($"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {UpgradeHandshake.AcceptFor(key)}\r\n\r\n");
            byte[] frame = [0x81, 0x05, .. "hello"u8];
            await stream.WriteAsync((byte[])[.. answer, .. frame]); // one write: the frame arrives with the answer
            await ReadHeadAsync(stream, untilClosed: true);
        });
        var dialer = new Http1WebSocketDialer(new WebSocketRelayOptions { UpstreamCompression = false });

        using WebSocket socket = await dialer.ConnectAsync(ProviderAt(new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}")), NoClientHeaders, null, CancellationToken.None);
        var received = new byte[16];
        using var lost = new CancellationTokenSource(TimeSpan.FromSeconds(30)); // a lost frame would otherwise wait forever
        // A zero-byte receive first, as the relay's reader does: the frame is here already, so it must not wait for more.
        ValueWebSocketReceiveResult waited = await socket.ReceiveAsync(Memory<byte>.Empty, lost.Token);
        WebSocketReceiveResult result = await socket.ReceiveAsync(received, lost.Token);
        socket.Abort();
        await serve;

        Assert.Equal(WebSocketMessageType.Text, waited.MessageType);
        Assert.True(result.EndOfMessage);
        Assert.Equal("hello", Encoding.ASCII.GetString(received, 0, result.Count));
    }

    [Fact]
    public async Task ARefusedUpgrade_AClosedPort_AndASilentServer_AreWebSocketErrors_ACancelIsACancel()
    {
        await using WebApplication server = await StartAsync(null, ctx =>
        {
            ctx.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return Task.CompletedTask;
        });
        var dialer = new Http1WebSocketDialer(new WebSocketRelayOptions { ConnectTimeout = TimeSpan.FromMilliseconds(500) });

        WebSocketException refused = await Assert.ThrowsAsync<WebSocketException>(async () =>
            await dialer.ConnectAsync(ProviderAt(new Uri(server.Urls.First())), NoClientHeaders, null, CancellationToken.None));
        Assert.Contains("'401'", refused.Message, StringComparison.Ordinal);

        int closedPort;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            closedPort = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        WebSocketException unreachable = await Assert.ThrowsAsync<WebSocketException>(async () =>
            await dialer.ConnectAsync(ProviderAt(new Uri($"http://127.0.0.1:{closedPort}")), NoClientHeaders, null, CancellationToken.None));
        Assert.IsType<SocketException>(unreachable.InnerException);

        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        Uri silentUrl = new($"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}");
        WebSocketException timedOut = await Assert.ThrowsAsync<WebSocketException>(async () =>
            await dialer.ConnectAsync(ProviderAt(silentUrl), NoClientHeaders, null, CancellationToken.None));
        Assert.Contains("did not complete the WebSocket handshake", timedOut.Message, StringComparison.Ordinal);

        using var cancel = new CancellationTokenSource();
        ValueTask<WebSocket> dialling = dialer.ConnectAsync(ProviderAt(silentUrl), NoClientHeaders, null, cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await dialling);
    }

    private static Provider ProviderAt(Uri baseUrl, Dictionary<string, string>? headers = null)
    {
        var options = new ProviderOptions { Name = "p", Kind = ProviderKind.OpenAI, BaseUrl = baseUrl.AbsoluteUri, ApiKey = "sk-provider" };
        foreach ((string name, string value) in headers ?? [])
        {
            options.Headers[name] = value;
        }

        var router = new ModelRouter(new RoutingOptions { Providers = { options } });
        Assert.True(router.TryGetProvider("p", out Provider provider));
        return provider;
    }

    private static async Task<WebApplication> StartAsync(X509Certificate2? certificate, RequestDelegate handler)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (certificate is not null)
            {
                listen.UseHttps(certificate);
            }
        }));
        WebApplication app = builder.Build();
        app.UseWebSockets();
        app.Map("/v1/responses", handler);
        await app.StartAsync();
        return app;
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using X509Certificate2 created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null); // with its key usable by Kestrel on Linux
    }

    private static async Task<string> ReadHeadAsync(NetworkStream stream, bool untilClosed = false)
    {
        var text = new StringBuilder();
        var buffer = new byte[1024];
        while (true)
        {
            int read;
            try
            {
                read = await stream.ReadAsync(buffer);
            }
            catch (IOException)
            {
                read = 0; // the client aborted
            }

            if (read == 0)
            {
                return text.ToString();
            }

            text.Append(Encoding.Latin1.GetString(buffer, 0, read));
            if (!untilClosed && text.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                return text.ToString();
            }
        }
    }
}
