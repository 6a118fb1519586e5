using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Hosting.Configuration;
using Microsoft.Extensions.Configuration;
using AkkaProxy.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AkkaProxy.Host.Tests.Cluster;

/// <summary>
/// Relay nodes as one Akka.Cluster (<c>akkaproxy.cluster</c>): three hosts on loopback join through their
/// configured seed node and see each other up; a host without the setting starts no cluster at all; a
/// cluster on the SQLite ledger is refused at start-up.
/// </summary>
public sealed class ClusterFormationTests
{
    [Fact]
    public async Task ThreeNodes_JoinThroughTheirSeedNode_AndEachSeesThreeUp()
    {
        await using FakeUpstream upstream = await FakeUpstream.StartAsync();
        int seedPort = FreePort();
        string seed = $"akka.tcp://akkaproxy@127.0.0.1:{seedPort}";
        var nodes = new List<RelayTestHost>();
        try
        {
            foreach (int port in new[] { seedPort, 0, 0 })
            {
                nodes.Add(await RelayTestHost.StartAsync(upstream, $$"""
                    akkaproxy.ledger.enabled = false
                    akkaproxy.cluster { enabled = true, hostname = "127.0.0.1", port = {{port}}, seed-nodes = ["{{seed}}"], down-stable-after = 5s }
                    """));
            }

            foreach (RelayTestHost node in nodes)
            {
                Akka.Cluster.Cluster cluster = Akka.Cluster.Cluster.Get(node.App.Services.GetRequiredService<ActorSystem>());
                await WaitUntilAsync(() => cluster.State.Members.Count(m => m.Status == MemberStatus.Up) == 3, () => $"{cluster.SelfAddress} sees {cluster.State.Members.Count} members");
                Assert.Contains("relay", cluster.SelfRoles);
            }

            // Each node still relays on its own.
            using HttpResponseMessage response = await nodes[2].Http.GetAsync("/healthz");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);

            // A node the cluster downs stops its host too (draining), instead of serving HTTP without its actors.
            var lifetime = nodes[2].App.Services.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>();
            Akka.Cluster.Cluster first = Akka.Cluster.Cluster.Get(nodes[0].App.Services.GetRequiredService<ActorSystem>());
            first.Down(Akka.Cluster.Cluster.Get(nodes[2].App.Services.GetRequiredService<ActorSystem>()).SelfAddress);
            await WaitUntilAsync(() => lifetime.ApplicationStopping.IsCancellationRequested, () => "the downed node's host did not stop");
            await WaitUntilAsync(() => first.State.Members.Count(m => m.Status == MemberStatus.Up) == 2, () => $"the others still see {first.State.Members.Count} members");
        }
        finally
        {
            foreach (RelayTestHost node in Enumerable.Reverse(nodes))
            {
                await node.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task WithoutTheSetting_NoClusterAndNoRemotingStart()
    {
        await using FakeUpstream upstream = await FakeUpstream.StartAsync();
        await using RelayTestHost single = await RelayTestHost.StartAsync(upstream);
        var system = (ExtendedActorSystem)single.App.Services.GetRequiredService<ActorSystem>();
        Assert.IsType<LocalActorRefProvider>(system.Provider);
    }

    [Theory]
    [InlineData("akkaproxy.cluster { enabled = true, seed-nodes = [\"akka.tcp://akkaproxy@127.0.0.1:4053\"] }", "PostgreSQL ledger")]
    [InlineData("akkaproxy.ledger.enabled = false\nakkaproxy.cluster { enabled = true }", "seed-nodes is empty")]
    [InlineData("akkaproxy.ledger.enabled = false\nakkaproxy.cluster { enabled = true, seed-nodes = [\"127.0.0.1:4053\"] }", "a seed node is akka.tcp://akkaproxy@host:port")]
    [InlineData("akkaproxy.ledger.enabled = false\nakkaproxy.cluster { enabled = true, seed-nodes = [\"akka.tcp://akkaproxy@10.0.0.5\"] }", "a seed node is akka.tcp://akkaproxy@host:port")]
    [InlineData("akkaproxy.ledger.enabled = false\nakkaproxy.cluster { enabled = true, seed-nodes = [\"akka.tcp://other@10.0.0.5:4053\"] }", "a seed node is akka.tcp://akkaproxy@host:port")]
    [InlineData("akkaproxy.ledger.enabled = false\nakkaproxy.cluster { enabled = true, seed-nodes = [\"akka.tcp://akkaproxy@10.0.0.5:4053\"], down-stable-after = 0s }", "down-stable-after")]
    public void AClusterThatCannotWork_IsRefusedAtStartUp(string hocon, string expected)
    {
        IConfiguration config = new ConfigurationBuilder().AddEmbeddedReferenceHocon().AddHoconText(hocon).Build();
        Assert.Contains(StartupValidation.Problems(config), problem => problem.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AClusterOnARelayWithoutTheClusterPackage_StopsTheStart_NamingThePackageAndTheCall()
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddHoconText($$"""
            akkaproxy.ledger.enabled = false
            akkaproxy.cluster { enabled = true, port = {{FreePort()}}, seed-nodes = ["akka.tcp://akkaproxy@127.0.0.1:4053"] }
            """, "relay.conf");
        builder.AddAkkaProxy(); // no relay.UseCluster()
        await using WebApplication app = builder.Build();

        var refused = await Assert.ThrowsAsync<RelayConfigurationException>(() => app.StartAsync());
        string problem = Assert.Single(refused.Problems);
        Assert.Contains("AkkaProxy.Cluster", problem, StringComparison.Ordinal);
        Assert.Contains("relay.UseCluster()", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void SeedNodes_ReadAsTheBinderReadsNames_PascalCaseFromTheEnvironmentToo()
    {
        IConfiguration config = new ConfigurationBuilder().AddEmbeddedReferenceHocon()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["akkaproxy:cluster:SeedNodes:0"] = "akka.tcp://akkaproxy@10.0.0.5:4053" })
            .Build();
        Assert.Equal(["akka.tcp://akkaproxy@10.0.0.5:4053"], RelayConfiguration.ReadCluster(config).SeedNodes);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, Func<string> what)
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
}
