using System.Net;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Supervision;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaProxy.Host.Tests.Relay;

/// <summary>How client connections map to materialized graphs, on real Kestrel.</summary>
public sealed class ConnectionGraphTests : RelayTestBase
{
    private const string Stream = """{"model":"openai/gpt-4o","stream":true,"input":"hi"}""";

    private HttpRelay Http => Relay.App.Services.GetRequiredService<HttpRelay>();

    [Fact]
    public async Task AKeepAliveConnection_MaterializesOneGraph_ForAllItsRequests()
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 1 };
        using var client = new HttpClient(handler) { BaseAddress = Relay.BaseUrl };

        for (int i = 0; i < 5; i++)
        {
            using HttpResponseMessage response = await client.SendAsync(Post("/v1/responses", Stream));
            Assert.Contains("response.completed", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(1, Http.Connections.GraphsMaterialized);
    }

    [Fact]
    public async Task AConnectionThatCloses_StopsItsSupervisor_AndItsGraphServesTheNextConnection()
    {
        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 1 };
        var client = new HttpClient(handler) { BaseAddress = Relay.BaseUrl };
        using (HttpResponseMessage response = await client.SendAsync(Post("/v1/responses", Stream)))
        {
            await response.Content.ReadAsStringAsync();
        }

        Assert.Equal(1, Http.Connections.OpenConnections);
        Assert.Equal(1, Http.Connections.RunningGraphs);
        client.Dispose(); // closes the connection

        // Its supervisor stops; its graph, idle and well, goes back to the relay's pool.
        await WaitUntilAsync(() => Http.Connections.OpenConnections == 0, "the closed connection's supervisor");
        Assert.Equal(1, Http.Connections.RunningGraphs);
        await Relay.Billing.SingleForAsync("openai/gpt-4o");

        using HttpResponseMessage next = await Relay.Http.SendAsync(Post("/v1/responses", Stream));
        Assert.Contains("response.completed", await next.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, Http.Connections.GraphsMaterialized); // the new connection took it: no materialization
    }

    [Fact]
    public async Task ClientsWithoutKeepAlive_ShareThePooledGraph_InsteadOfOneEach()
    {
        for (int i = 0; i < 3; i++)
        {
            using HttpRequestMessage request = Post("/v1/responses", Stream);
            request.Headers.ConnectionClose = true;
            using HttpResponseMessage response = await Relay.Http.SendAsync(request);
            Assert.Contains("response.completed", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            await WaitUntilAsync(() => Http.Connections.OpenConnections == 0, "the closed connection's supervisor");
        }

        Assert.Equal(1, Http.Connections.GraphsMaterialized);
        Assert.Equal(3, Relay.Billing.Records.Count(r => r.Outcome == AkkaProxy.Pipeline.Billing.ExchangeOutcome.Completed));
    }
}

/// <summary>With <c>idle-graphs = 0</c> the relay keeps no graph across connections: one per connection, stopped with it.</summary>
public sealed class UnpooledConnectionGraphTests : RelayTestBase
{
    private const string Stream = """{"model":"openai/gpt-4o","stream":true,"input":"hi"}""";

    protected override string ExtraHocon => "akkaproxy.pipeline.idle-graphs = 0";

    [Fact]
    public async Task ClientsWithoutKeepAlive_PayOneGraphPerRequest_StoppedWithTheirConnection()
    {
        HttpRelay http = Relay.App.Services.GetRequiredService<HttpRelay>();
        for (int i = 0; i < 3; i++)
        {
            using HttpRequestMessage request = Post("/v1/responses", Stream);
            request.Headers.ConnectionClose = true;
            using HttpResponseMessage response = await Relay.Http.SendAsync(request);
            Assert.Contains("response.completed", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        await WaitUntilAsync(() => http.Connections.OpenConnections == 0 && http.Connections.RunningGraphs == 0, "the closed connections' supervisors or graphs");
        Assert.Equal(3, http.Connections.GraphsMaterialized);
    }
}

/// <summary>
/// Over HTTP/2 (here cleartext with prior knowledge: an endpoint configured for HTTP/2 only; by default
/// a cleartext endpoint answers h2c with HTTP_1_1_REQUIRED, and HTTP/2 comes with TLS), each stream is
/// one exchange: streams running at once on a connection each take a graph of the connection's own,
/// and later streams of that connection reuse them.
/// </summary>
public sealed class Http2ConnectionGraphTests : RelayTestBase
{
    private const string Stream = """{"model":"openai/gpt-4o","stream":true,"input":"hi"}""";

    protected override string ExtraHocon => "Kestrel.EndpointDefaults.Protocols = Http2";

    private HttpRelay Http => Relay.App.Services.GetRequiredService<HttpRelay>();

    /// <summary>HTTP/2 with prior knowledge (h2c): the relay's cleartext endpoint speaks both.</summary>
    private static HttpRequestMessage Http2(HttpRequestMessage request)
    {
        request.Version = HttpVersion.Version20;
        request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
        return request;
    }

    [Fact]
    public async Task StreamsRunningAtOnce_EachTakeAGraph_WhichLaterStreamsOfTheConnectionReuse()
    {
        using var handler = new SocketsHttpHandler();
        using var client = new HttpClient(handler) { BaseAddress = Relay.BaseUrl };

        // Three streams at once on one connection: the gated stream holds each open until released.
        HttpRequestMessage[] requests = [.. Enumerable.Range(0, 3).Select(_ => Http2(Post("/v1/chat/completions", """{"model":"openai/gpt-4o~gated","stream":true,"messages":[]}""")))];
        Task<HttpResponseMessage>[] sent = [.. requests.Select(r => client.SendAsync(r, HttpCompletionOption.ResponseHeadersRead))];
        HttpResponseMessage[] responses = await Task.WhenAll(sent);
        Assert.All(responses, r => Assert.Equal(HttpVersion.Version20, r.Version));
        Upstream.Gate.Release(int.MaxValue / 2);
        foreach (HttpResponseMessage response in responses)
        {
            Assert.Contains("[DONE]", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            response.Dispose();
        }

        Assert.Equal(3, Http.Connections.GraphsMaterialized);
        using HttpResponseMessage later = await client.SendAsync(Http2(Post("/v1/responses", Stream)));
        Assert.Equal(HttpVersion.Version20, later.Version);
        Assert.Contains("response.completed", await later.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(3, Http.Connections.GraphsMaterialized);
    }
}
