using System.Net;
using System.Text.Json;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AkkaProxy.Host.Tests.Cluster;

/// <summary>
/// Relay keys' limits on three nodes of one cluster: each key's count is one sharded entity, so a rate
/// limit holds across the nodes exactly (not once per node), and a budget spent through one node is
/// refused on every node.
/// </summary>
public sealed class ClusterKeyLimitsTests
{
    private const string Keys = """
        akkaproxy.ledger.enabled = false
        akkaproxy.auth.keys {
          limited { key = "k-rpm-secret", requests-per-minute = 20 }
          budgeted { key = "k-budget-secret", budget = 0.0001, budget-period = month }
          warm { key = "k-warm-secret", requests-per-minute = 1000 }
          sockets { key = "k-ws-secret", requests-per-minute = 3 }
        }
        """;

    [Fact]
    public async Task ARateLimit_HoldsAcrossTheNodes_AndABudgetSpentOnOneIsRefusedOnAll()
    {
        await using FakeUpstream upstream = await FakeUpstream.StartAsync();
        await using ClusterNodes nodes = await ClusterNodes.StartAsync(upstream, 3, Keys, Clock());
        foreach (var node in nodes.Hosts)
        {
            await WarmUpAsync(node.Http);
        }

        // 60 requests at once, spread over the three nodes, against 20 per minute: 20 pass, wherever they land.
        HttpStatusCode[] statuses = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => StatusAsync(nodes[i % 3].Http, "k-rpm-secret")));
        Assert.Equal(20, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(40, statuses.Count(s => s == HttpStatusCode.TooManyRequests));

        // The budget: one request through node 0 spends it; node 0 refuses the next, and so do the others.
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(nodes[0].Http, "k-budget-secret"));
        await nodes[0].Billing.WaitForCountAsync(r => r.KeyId == "budgeted", 1);
        foreach (int i in new[] { 0, 1, 2 })
        {
            using HttpResponseMessage refused = await nodes[i].Http.SendAsync(Post("k-budget-secret"));
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            using JsonDocument body = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
            Assert.Equal("budget_exceeded", body.RootElement.GetProperty("error").GetProperty("code").GetString());
        }
    }

    [Fact]
    public async Task OnAWebSocket_TurnsWaitForTheKeysEntity_AndTheLimitCountsTurnsOfEveryNode()
    {
        const string create = """{"type":"response.create","model":"openai/gpt-4o","store":false,"input":[]}""";
        await using FakeUpstream upstream = await FakeUpstream.StartAsync();
        await using ClusterNodes nodes = await ClusterNodes.StartAsync(upstream, 3, Keys, Clock());

        // Node 0 takes two of the three, over HTTP.
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(nodes[0].Http, "k-ws-secret"));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(nodes[0].Http, "k-ws-secret"));

        // Node 1 holds no lease of the key: its first turn waits for the entity (the turn stage's admission step).
        await using RelaySocket socket = await RelaySocket.ConnectAsync(nodes[1].BaseUrl, o => o.SetRequestHeader("Authorization", "Bearer k-ws-secret"));
        await socket.SendAsync(create);
        await socket.ReceiveUntilAsync("response.completed");
        await socket.SendAsync(create);
        JsonElement error = await socket.ReceiveUntilAsync("error");
        Assert.Equal(429, error.GetProperty("status").GetInt32());
        Assert.Equal("rate_limit_exceeded", error.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("3 requests per minute", error.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);

        // The socket stays open; its refused turn is billed as rejected, once.
        await nodes[1].Billing.WaitForAsync(r => r.KeyId == "sockets" && r.ErrorCode == "rate_limit_exceeded");
        Assert.Equal(System.Net.WebSockets.WebSocketState.Open, socket.Socket.State);
    }

    /// <summary>One clock for the three nodes, in the middle of a minute: a burst never crosses into the next one.</summary>
    private static FakeTimeProvider Clock() => new(new DateTimeOffset(2026, 12, 1, 10, 0, 30, TimeSpan.Zero));

    private static Task WarmUpAsync(HttpClient http) => ClusterNodes.WarmUpAsync(http, "k-warm-secret");

    private static Task<HttpStatusCode> StatusAsync(HttpClient http, string key) => ClusterNodes.ChatStatusAsync(http, key);

    private static HttpRequestMessage Post(string key) => ClusterNodes.Chat(key);
}
