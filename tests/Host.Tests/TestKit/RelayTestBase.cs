using System.Text;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Pipeline;
using AkkaProxy.Pipeline.Streams;
using AkkaProxy.Pipeline.Supervision;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaProxy.Host.Tests.TestKit;

/// <summary>
/// A fake upstream and the relay on real Kestrel, fresh for each test, and a leak check after it:
/// no upstream response still streaming, no WebSocket session or upstream socket left open.
/// </summary>
public abstract class RelayTestBase : IAsyncLifetime
{
    protected FakeUpstream Upstream { get; private set; } = null!;

    protected RelayTestHost Relay { get; private set; } = null!;

    /// <summary>HOCON appended to the test configuration, for limits a test class needs.</summary>
    protected virtual string ExtraHocon => "";

    /// <summary>Services registered after the relay's own, for a seam a test class needs (a fake clock).</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    /// <summary>Stages of the test class's own, added to the relay's pipeline after the configured ones (a <c>Flow</c>, say).</summary>
    protected virtual Action<ProxyStreamBuilder>? ExtraStages => null;

    /// <summary>Runs before the relay starts, for what its configuration needs first (a database of the test's own).</summary>
    protected virtual Task BeforeStartAsync() => Task.CompletedTask;

    /// <summary>Runs once the relay has stopped and been disposed (to drop that database).</summary>
    protected virtual Task AfterStopAsync() => Task.CompletedTask;

    public async Task InitializeAsync()
    {
        await BeforeStartAsync();
        Upstream = await FakeUpstream.StartAsync();
        Relay = await RelayTestHost.StartAsync(Upstream, ExtraHocon, ConfigureServices, ExtraStages);
    }

    public async Task DisposeAsync()
    {
        WebSocketRelay sockets = Relay.App.Services.GetRequiredService<WebSocketRelay>();
        await WaitUntilAsync(() => sockets.ActiveSessions == 0, "WebSocket sessions still running");
        await WaitUntilAsync(() => Upstream.Socket.OpenSockets == 0, "upstream sockets still open");
        // The relay's pooled upstream sockets are closed by their pools, which the fake must see.
        await Relay.App.Services.GetRequiredService<AkkaProxy.Pipeline.Pooling.UpstreamSocketPools>().CloseAllAsync();
        await WaitUntilAsync(() => Upstream.Pooled.OpenSockets == 0, "pooled upstream sockets still open");
        await WaitUntilAsync(() => Upstream.OpenStreams == 0, "upstream responses still streaming");
        ConnectionCounters connections = Relay.App.Services.GetRequiredService<HttpRelay>().Connections;
        await Relay.DisposeAsync();
        // Every connection's supervisor stopped and every graph with it: none outlives the host.
        await WaitUntilAsync(() => connections.OpenConnections == 0, $"{connections.OpenConnections} connection supervisors still alive");
        await WaitUntilAsync(() => connections.RunningGraphs == 0, $"{connections.RunningGraphs} connection graphs still running");
        // The same for every WebSocket session: its supervisor actor and its one graph.
        await WaitUntilAsync(() => sockets.Connections.OpenConnections == 0, $"{sockets.Connections.OpenConnections} session supervisors still alive");
        await WaitUntilAsync(() => sockets.Connections.RunningGraphs == 0, $"{sockets.Connections.RunningGraphs} session graphs still running");
        await Upstream.DisposeAsync();
        await AfterStopAsync();
    }

    /// <summary>A POST with the relay key.</summary>
    protected static HttpRequestMessage Post(string path, string json)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new("Bearer", RelayTestHost.RelayKey);
        return request;
    }

    /// <summary>POSTs a streaming request and returns the whole body the client received.</summary>
    protected async Task<string> PostStreamAsync(string path, string json)
    {
        using HttpRequestMessage request = Post(path, json);
        using HttpResponseMessage response = await Relay.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>Polls <paramref name="condition"/> for up to 20 s (a bound, not a timing assertion).</summary>
    protected static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!condition())
        {
            try
            {
                await Task.Delay(20, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException(what);
            }
        }
    }
}
