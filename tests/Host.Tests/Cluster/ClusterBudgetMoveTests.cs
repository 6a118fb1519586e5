using System.Net;
using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using AkkaProxy.Cluster.Limits;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.Ledger;
using AkkaProxy.Host.Tests.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaProxy.Host.Tests.Cluster;

/// <summary>
/// A key's budget when the node holding its entity dies: three nodes on one PostgreSQL ledger spend
/// part of a budget; the node whose shard region holds the key's entity is downed, as a dead node is;
/// the entity starts again on a survivor, reads the spend back from the ledger, has the survivors drop
/// the leases the dead entity granted, and the survivors spend the rest under concurrent load. The
/// requests answered in all are the budget's, within the requests in flight.
/// </summary>
public sealed class ClusterBudgetMoveTests : IAsyncLifetime
{
    /// <summary>0.0015 a request (1,500 tokens at 1.00 per million): the budget is 30 requests.</summary>
    private const decimal Cost = 0.0015m;
    private const int BudgetRequests = 30;
    private const int Before = 10;
    private const int ClientsPerSurvivor = 2;

    private PostgresTestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await PostgresTestDatabase.CreateAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task WhenTheNodeHoldingAKeysEntityDies_TheEntityMoves_AndTheBudgetStaysExactWithinTheRequestsInFlight()
    {
        await using FakeUpstream upstream = await FakeUpstream.StartAsync();
        await using ClusterNodes nodes = await ClusterNodes.StartAsync(upstream, 3, $$"""
            akkaproxy.ledger { store = postgresql, connection-string = "{{_database.ConnectionString}}" }
            akkaproxy.pricing { "gpt-4o" { input = 1.00, cached-input = 1.00, output = 1.00 } }
            akkaproxy.auth.keys {
              budgeted { key = "k-budget-secret", budget = {{BudgetRequests * Cost}}, budget-period = month }
              warm { key = "k-warm-secret", requests-per-minute = 1000 }
            }
            """);
        foreach (RelayTestHost node in nodes.Hosts)
        {
            await WarmUpAsync(node.Http);
        }

        // The key's entity starts (a spend of nothing), and the node holding it is the one that will die.
        RegionOf(nodes[0]).Tell(new KeySpend("budgeted", ActorRefs.Nobody, DateTimeOffset.UtcNow, 0, 0m));
        RelayTestHost? victim = await HolderOfAsync(nodes.Hosts, "budgeted");
        for (int attempt = 0; attempt < 200 && victim is null; attempt++)
        {
            await Task.Delay(50); // the entity starts once the region knows the shard's home
            victim = await HolderOfAsync(nodes.Hosts, "budgeted");
        }

        Assert.NotNull(victim);
        RelayTestHost[] survivors = [.. nodes.Hosts.Where(n => n != victim)];

        // A third of the budget, a survivor first: it holds the entity's first slice (half the budget), mostly unspent,
        // which the entity that takes over must not grant again. Each record acknowledged by its node's ledger.
        RelayTestHost[] order = [survivors[0], survivors[1], victim];
        for (int i = 0; i < Before; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(order[i % 3].Http));
        }

        Assert.Equal(Cost, (await survivors[0].Billing.WaitForAsync(r => r.KeyId == "budgeted")).Cost);
        foreach (RelayTestHost node in nodes.Hosts)
        {
            await LedgerKillContract.AcknowledgedAtLeastAsync(node.Http, node.Billing.Records.Count);
        }

        // The node whose region holds the key's entity dies: downed, as the split-brain resolver downs a node gone silent.
        Address gone = ClusterNodes.ClusterOf(victim).SelfAddress;
        ClusterNodes.ClusterOf(survivors[0]).Down(gone);
        foreach (RelayTestHost survivor in survivors)
        {
            Akka.Cluster.Cluster cluster = ClusterNodes.ClusterOf(survivor);
            await ClusterNodes.WaitUntilAsync(() => cluster.State.Members.All(m => m.Address != gone), () => $"{cluster.SelfAddress} still has {gone}");
        }

        // The rest of the budget, spent by concurrent clients through the second survivor, then through the first: it
        // held half the budget of the dead entity, and finds the budget spent, not that half still to spend.
        int answered = await SpendUntilRefusedAsync(survivors[1]) + await SpendUntilRefusedAsync(survivors[0]);

        // Ten before, the rest after: the budget's twenty, within one request in flight per client (a dead entity's
        // spend forgotten would be ten more, its first slice spent again about fourteen).
        int clients = survivors.Length * ClientsPerSurvivor;
        Assert.InRange(answered, BudgetRequests - Before - clients, BudgetRequests - Before + clients);
        // Every answered request is in the ledger once: the ten before, the rest after.
        foreach (RelayTestHost survivor in survivors)
        {
            await LedgerKillContract.AcknowledgedAtLeastAsync(survivor.Http, survivor.Billing.Records.Count);
        }

        Assert.Equal(Before + answered, Convert.ToInt32(await _database.ScalarAsync("SELECT count(*) FROM usage_records WHERE key_id = 'budgeted' AND http_status = 200")));
    }

    private static IActorRef RegionOf(RelayTestHost node) => ActorRegistry.For(node.App.Services.GetRequiredService<ActorSystem>()).Get<KeyLimitsEntity>();

    /// <summary>The node whose shard region holds the key's entity; null while none does.</summary>
    private static async Task<RelayTestHost?> HolderOfAsync(IEnumerable<RelayTestHost> nodes, string keyId)
    {
        foreach (RelayTestHost node in nodes)
        {
            CurrentShardRegionState state = await RegionOf(node).Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(5));
            if (state.Shards.Any(shard => shard.EntityIds.Contains(keyId)))
            {
                return node;
            }
        }

        return null;
    }

    /// <summary>Requests of the budget key through <paramref name="node"/> by <see cref="ClientsPerSurvivor"/> clients at once, until each is refused; how many were answered.</summary>
    private static async Task<int> SpendUntilRefusedAsync(RelayTestHost node)
    {
        int answered = 0;
        await Task.WhenAll(Enumerable.Range(0, ClientsPerSurvivor).Select(_ => Task.Run(async () =>
        {
            while (await SpendAsync(node.Http))
            {
                Interlocked.Increment(ref answered);
            }
        })));
        return answered;
    }

    /// <summary>
    /// One request of the budget key: true when answered, false once the budget is refused; while the
    /// entity moves (its node's shards not yet started elsewhere) the relay says 503, and it is retried.
    /// </summary>
    private static async Task<bool> SpendAsync(HttpClient http)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            deadline.Token.ThrowIfCancellationRequested();
            using HttpResponseMessage response = await http.SendAsync(Post("k-budget-secret"));
            string body = await response.Content.ReadAsStringAsync();
            switch (response.StatusCode)
            {
                case HttpStatusCode.OK:
                    return true;
                case HttpStatusCode.TooManyRequests when Code(body) == "budget_exceeded":
                    return false;
                case HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests:
                    await Task.Delay(50, deadline.Token); // the entity is moving, or what is left is held by the other node: again
                    break;
                default:
                    throw new Xunit.Sdk.XunitException($"{(int)response.StatusCode}: {body}");
            }
        }
    }

    private static string? Code(string body)
    {
        using JsonDocument document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("error").GetProperty("code").GetString();
    }

    private static Task WarmUpAsync(HttpClient http) => ClusterNodes.WarmUpAsync(http, "k-warm-secret");

    private static Task<HttpStatusCode> StatusAsync(HttpClient http) => ClusterNodes.ChatStatusAsync(http, "k-budget-secret");

    private static HttpRequestMessage Post(string key) => ClusterNodes.Chat(key);
}
