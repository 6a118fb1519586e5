using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaProxy.Host.Tests.Cluster;

/// <summary>Relay hosts on loopback as one cluster: the first is the seed, the others join it on free ports.</summary>
internal sealed class ClusterNodes : IAsyncDisposable
{
    private ClusterNodes(List<RelayTestHost> hosts) => Hosts = hosts;

    public List<RelayTestHost> Hosts { get; }

    public RelayTestHost this[int index] => Hosts[index];

    /// <summary>Starts <paramref name="count"/> nodes with <paramref name="extraHocon"/> and waits until each sees all of them up.</summary>
    /// <param name="upstream">The fake provider.</param>
    /// <param name="count">How many nodes.</param>
    /// <param name="extraHocon">Configuration of every node.</param>
    /// <param name="clock">One clock for every node, when the test sets the time.</param>
    public static async Task<ClusterNodes> StartAsync(FakeUpstream upstream, int count, string extraHocon = "akkaproxy.ledger.enabled = false", TimeProvider? clock = null)
    {
        int seedPort = FreePort();
        string seed = $"akka.tcp://akkaproxy@127.0.0.1:{seedPort}";
        var nodes = new ClusterNodes([]);
        try
        {
            for (int i = 0; i < count; i++)
            {
                nodes.Hosts.Add(await RelayTestHost.StartAsync(upstream, $$"""
                    {{extraHocon}}
                    akkaproxy.cluster { enabled = true, hostname = "127.0.0.1", port = {{(i == 0 ? seedPort : 0)}}, seed-nodes = ["{{seed}}"], down-stable-after = 5s }
                    """, clock is null ? null : services => services.AddSingleton(clock)));
            }

            foreach (RelayTestHost node in nodes.Hosts)
            {
                Akka.Cluster.Cluster cluster = ClusterOf(node);
                await WaitUntilAsync(() => cluster.State.Members.Count(m => m.Status == MemberStatus.Up) == count, () => $"{cluster.SelfAddress} sees {cluster.State.Members.Count} members");
            }

            return nodes;
        }
        catch
        {
            await nodes.DisposeAsync();
            throw;
        }
    }

    /// <summary>A non-streaming chat request to the fake's <c>gpt-4o</c> with the relay key <paramref name="key"/>.</summary>
    public static HttpRequestMessage Chat(string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"openai/gpt-4o","messages":[{"role":"user","content":"hi"}]}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", key);
        return request;
    }

    /// <summary>The status of one <see cref="Chat"/> request, its body read.</summary>
    public static async Task<HttpStatusCode> ChatStatusAsync(HttpClient http, string key)
    {
        using HttpResponseMessage response = await http.SendAsync(Chat(key));
        await response.Content.ReadAsStringAsync();
        return response.StatusCode;
    }

    /// <summary>
    /// The node's shard region has found the coordinator (a 503 while the cluster's sharding starts)
    /// before the test starts: requests of <paramref name="warmKey"/>, a key with a limit, until one is answered.
    /// </summary>
    public static async Task WarmUpAsync(HttpClient http, string warmKey)
    {
        for (int attempt = 0; attempt < 20; attempt++)
        {
            HttpStatusCode status = await ChatStatusAsync(http, warmKey);
            if (status == HttpStatusCode.OK)
            {
                return;
            }

            Xunit.Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        }

        Xunit.Assert.Fail("the node's shard region never answered");
    }

    public static Akka.Cluster.Cluster ClusterOf(RelayTestHost node) => Akka.Cluster.Cluster.Get(node.App.Services.GetRequiredService<ActorSystem>());

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task WaitUntilAsync(Func<bool> condition, Func<string> what)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            try
            {
                await Task.Delay(50, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException(what());
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (RelayTestHost node in Enumerable.Reverse(Hosts))
        {
            await node.DisposeAsync();
        }
    }
}
