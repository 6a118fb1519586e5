using System.Net;
using System.Net.Sockets;
using System.Text;
using AkkaProxy.Cluster.Affinity;
using AkkaProxy.Hosting.Cluster;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging.Abstractions;

namespace AkkaProxy.Host.Tests.Cluster;

/// <summary>
/// Sending a continuation on to another node: served here only when that node surely did not take
/// it (no connection, or it said it is draining); once the request may have reached it, a failure is
/// a 502 for the client, never a second try here.
/// </summary>
public sealed class NodeForwarderTests : IDisposable
{
    private readonly NodeForwarder _forwarder = new(new NoServer(), new RelayClusterOptions { HttpUrl = "http://127.0.0.1:1" }, NullLogger<NodeForwarder>.Instance);

    public void Dispose() => _forwarder.Dispose();

    [Fact]
    public async Task ANodeThatRefusesTheConnection_ServesTheRequestHere()
    {
        int closed = ClusterNodes.FreePort(); // nothing listens on it any more
        DefaultHttpContext context = Context();

        Assert.False(await _forwarder.TryForwardAsync(context, new Uri($"http://127.0.0.1:{closed}"), "{}"u8.ToArray(), default));
        Assert.False(context.Response.HasStarted);
        Assert.Equal(200, context.Response.StatusCode); // untouched: the relay answers it itself
    }

    [Fact]
    public async Task ANodeThatTookTheRequestAndDied_GivesA502_NotASecondTryHere()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Task dies = Task.Run(async () =>
        {
            using TcpClient accepted = await listener.AcceptTcpClientAsync();
            byte[] buffer = new byte[4096];
            _ = await accepted.GetStream().ReadAsync(buffer); // the request arrived (some of it is enough)
            accepted.Client.LingerState = new LingerOption(true, 0);
        }); // then the connection is reset without an answer
        DefaultHttpContext context = Context();

        Assert.True(await _forwarder.TryForwardAsync(context, new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}"), "{}"u8.ToArray(), default));
        await dies;

        Assert.Equal(502, context.Response.StatusCode);
        Assert.Contains("relay_node_failed", Body(context), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADrainingNode_IsServedHere_AndAnAnswerIsRelayedWithItsStatusHeadersAndBody()
    {
        using var server = new OneAnswerServer();
        DefaultHttpContext draining = Context();
        server.Next = "HTTP/1.1 503 Service Unavailable\r\nX-AkkaProxy-Draining: 1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
        Assert.False(await _forwarder.TryForwardAsync(draining, server.Url, "{}"u8.ToArray(), default));

        DefaultHttpContext answered = Context();
        server.Next = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nx-akkaproxy-request-id: req_there\r\nConnection: close\r\n\r\nevent: response.completed\ndata: {}\n\n";
        Assert.True(await _forwarder.TryForwardAsync(answered, server.Url, "{\"a\":1}"u8.ToArray(), default));
        Assert.Equal(200, answered.Response.StatusCode);
        Assert.Equal("text/event-stream", answered.Response.ContentType);
        Assert.Equal("req_there", answered.Response.Headers["x-akkaproxy-request-id"]);
        Assert.Equal("event: response.completed\ndata: {}\n\n", Body(answered));

        // What the other node was sent: the client's key and body, the marker, not the hop's own headers.
        string request = server.LastRequest;
        Assert.Contains("Authorization: Bearer relay-key", request, StringComparison.Ordinal);
        Assert.Contains("X-AkkaProxy-Forwarded: http://127.0.0.1:1", request, StringComparison.Ordinal);
        Assert.Contains("X-Forwarded-For: 10.1.2.3", request, StringComparison.Ordinal);
        Assert.DoesNotContain("Accept-Encoding", request, StringComparison.OrdinalIgnoreCase);
        Assert.EndsWith("{\"a\":1}", request, StringComparison.Ordinal);
    }

    private static DefaultHttpContext Context()
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Path = "/v1/responses";
        context.Request.ContentType = "application/json";
        context.Request.Headers.Authorization = "Bearer relay-key";
        context.Request.Headers.AcceptEncoding = "gzip";
        context.Connection.RemoteIpAddress = IPAddress.Parse("10.1.2.3");
        context.Response.Body = new MemoryStream();
        return context;
    }

    private static string Body(DefaultHttpContext context) => Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());

    private sealed class NoServer : IServer
    {
        public IFeatureCollection Features { get; } = new FeatureCollection();

        public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken) where TContext : notnull => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public void Dispose()
        {
        }
    }

    /// <summary>A server that answers each connection with <see cref="Next"/>, as raw HTTP, and keeps the request it read.</summary>
    private sealed class OneAnswerServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();

        public OneAnswerServer()
        {
            _listener.Start();
            _ = Task.Run(ServeAsync);
        }

        public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

        public volatile string Next = "";

        public volatile string LastRequest = "";

        private async Task ServeAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                using TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
                NetworkStream stream = client.GetStream();
                var request = new StringBuilder();
                byte[] buffer = new byte[8192];
                while (!HasWholeRequest(request.ToString()))
                {
                    int read = await stream.ReadAsync(buffer, _stop.Token);
                    if (read == 0)
                    {
                        break;
                    }

                    request.Append(Encoding.UTF8.GetString(buffer, 0, read));
                }

                LastRequest = request.ToString();
                await stream.WriteAsync(Encoding.UTF8.GetBytes(Next), _stop.Token);
            }
        }

        private static bool HasWholeRequest(string text)
        {
            int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end < 0)
            {
                return false;
            }

            string? length = text[..end].Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
            return length is null || text.Length - end - 4 >= int.Parse(length["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
        }
    }
}
