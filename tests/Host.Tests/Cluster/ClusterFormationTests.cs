using System.Net;
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
        await using ClusterNodes nodes = await ClusterNodes.StartAsync(upstream, 3);
        Assert.All(nodes.Hosts, node => Assert.Contains("relay", ClusterNodes.ClusterOf(node).SelfRoles));

        // Each node still relays on its own.
        using HttpResponseMessage response = await nodes[2].Http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        // A node the cluster downs stops its host too (draining), instead of serving HTTP without its actors.
        var lifetime = nodes[2].App.Services.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>();
        Akka.Cluster.Cluster first = ClusterNodes.ClusterOf(nodes[0]);
        first.Down(ClusterNodes.ClusterOf(nodes[2]).SelfAddress);
        await ClusterNodes.WaitUntilAsync(() => lifetime.ApplicationStopping.IsCancellationRequested, () => "the downed node's host did not stop");
        await ClusterNodes.WaitUntilAsync(() => first.State.Members.Count(m => m.Status == MemberStatus.Up) == 2, () => $"the others still see {first.State.Members.Count} members");
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
            akkaproxy.cluster { enabled = true, port = {{ClusterNodes.FreePort()}}, seed-nodes = ["akka.tcp://akkaproxy@127.0.0.1:4053"] }
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
}
