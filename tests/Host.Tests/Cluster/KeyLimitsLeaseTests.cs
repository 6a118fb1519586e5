using Akka.Actor;
using AkkaProxy.Cluster.Limits;
using AkkaProxy.Hosting.Configuration;
using AkkaProxy.Pipeline.Admission;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Usage;
using Microsoft.Extensions.Time.Testing;

namespace AkkaProxy.Host.Tests.Cluster;

/// <summary>
/// A key's limits entity and the nodes' leases of it, in one actor system: three "nodes" (a lease
/// keeper and its shared limits each) around one entity, as the shard region would connect them.
/// Rate limits are exact by construction (requests are granted before they are admitted, and given
/// back when another node needs them); budgets and token limits are counted as the nodes bill, each
/// node spending only its own slice of what is left.
/// </summary>
public sealed class KeyLimitsLeaseTests : IAsyncLifetime
{
    /// <summary>10:00:30 UTC: the minute resets at 10:01.</summary>
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 10, 0, 30, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(Start);
    private ActorSystem _system = null!;

    public Task InitializeAsync()
    {
        _system = ActorSystem.Create("limits-test");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _system.Terminate();

    [Fact]
    public async Task ARequestLimit_IsExactAcrossNodes_UnderConcurrentLoad_AndResetsWithTheMinute()
    {
        var key = new RelayKeyOptions { Id = "rpm", RequestsPerMinute = 30 };
        ShardedKeyLimits[] nodes = Nodes(key, 3);

        AdmissionRefusal?[] answers = await Task.WhenAll(Enumerable.Range(0, 90).Select(i => Task.Run(() => nodes[i % 3].AdmitAsync(key, default).AsTask())));

        Assert.Equal(30, answers.Count(a => a is null));
        Assert.All(answers.Where(a => a is not null), a =>
        {
            Assert.Equal("rate_limit_exceeded", a!.Code);
            Assert.Equal("requests", a.Type);
            Assert.Contains("30 requests per minute", a.Message, StringComparison.Ordinal);
        });

        _clock.Advance(TimeSpan.FromMinutes(1));
        answers = await Task.WhenAll(Enumerable.Range(0, 45).Select(i => nodes[i % 3].AdmitAsync(key, default).AsTask()));
        Assert.Equal(30, answers.Count(a => a is null));
    }

    [Fact]
    public async Task RequestsANodeHoldsUnused_AreReclaimedForAnotherNode_SoNoneIsRefusedBeforeTheLimit()
    {
        var key = new RelayKeyOptions { Id = "rpm-reclaim", RequestsPerMinute = 10 };
        ShardedKeyLimits[] nodes = Nodes(key, 2);

        Assert.Null(await nodes[0].AdmitAsync(key, default)); // node 0 is granted a share of the ten, uses one
        for (int i = 0; i < 9; i++)
        {
            Assert.Null(await nodes[1].AdmitAsync(key, default)); // node 1 needs what node 0 still holds
        }

        AdmissionRefusal? eleventh = await nodes[1].AdmitAsync(key, default);
        Assert.Equal("rate_limit_exceeded", eleventh?.Code);
        Assert.Equal("rate_limit_exceeded", (await nodes[0].AdmitAsync(key, default))?.Code);
    }

    [Fact]
    public async Task ANodeThatPrefetchesWhenNothingIsLeft_IsStillAnswered_AndItsNextRequestIsRefusedAtOnce()
    {
        var key = new RelayKeyOptions { Id = "rpm-prefetch", RequestsPerMinute = 8 };
        ShardedKeyLimits node = Nodes(key, 1)[0];
        for (int i = 0; i < 8; i++)
        {
            Assert.Null(await node.AdmitAsync(key, default)); // leases of a share, topped up ahead by prefetches
        }

        // The last prefetch found nothing free; the ninth asks again and is refused (not left waiting for a timeout).
        Task<AdmissionRefusal?> ninth = node.AdmitAsync(key, default).AsTask();
        Assert.Same(ninth, await Task.WhenAny(ninth, Task.Delay(TimeSpan.FromSeconds(3))));
        Assert.Equal("rate_limit_exceeded", (await ninth)?.Code);
    }

    [Fact]
    public async Task ABudget_RefusesOnlyOnceTheNodesBilledIt_AndTheOverrunIsAtMostARequestPerNode()
    {
        const decimal cost = 0.3m;
        var key = new RelayKeyOptions { Id = "budget", Budget = 1.0m, BudgetPeriod = BudgetPeriod.Day };
        ShardedKeyLimits[] nodes = Nodes(key, 3);

        decimal billed = 0;
        int admitted = 0;
        AdmissionRefusal? first = null;
        for (int i = 0; i < 30 && first is null; i++)
        {
            ShardedKeyLimits node = nodes[i % 3];
            first = await node.AdmitAsync(key, default);
            if (first is null)
            {
                admitted++;
                node.Billed(key, Record(key, cost, tokens: 10));
                billed += cost;
            }
        }

        Assert.NotNull(first);
        Assert.Equal("budget_exceeded", first!.Code);
        Assert.True(billed >= key.Budget, $"refused at {billed} billed of {key.Budget}");
        Assert.True(admitted <= 4 + 3, $"{admitted} admitted: more than one past the budget per node");
        // Every node refuses now, saying what was spent.
        foreach (ShardedKeyLimits node in nodes)
        {
            AdmissionRefusal? refusal = await node.AdmitAsync(key, default);
            Assert.Equal("budget_exceeded", refusal?.Code);
            Assert.Contains("spent of 1.00", refusal!.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ATokenLimit_ClosesOnEveryNodeOnceTheirBilledTokensReachIt()
    {
        var key = new RelayKeyOptions { Id = "tpm", TokensPerMinute = 100 };
        ShardedKeyLimits[] nodes = Nodes(key, 2);
        Assert.Null(await nodes[0].AdmitAsync(key, default));
        Assert.Null(await nodes[1].AdmitAsync(key, default));
        nodes[0].Billed(key, Record(key, null, tokens: 60));
        nodes[1].Billed(key, Record(key, null, tokens: 60));

        AdmissionRefusal? refusal = await WhenRefusedAsync(nodes[0], key);
        Assert.Equal("tokens", refusal.Type);
        Assert.Contains("(120 used)", refusal.Message, StringComparison.Ordinal);
        Assert.Equal("tokens", (await WhenRefusedAsync(nodes[1], key)).Type);

        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Null(await nodes[1].AdmitAsync(key, default));
    }

    [Fact]
    public async Task ASliceOverrunByItsOwnNode_IsToppedUpOnTheNextAsk_NotAskedForInALoop()
    {
        var key = new RelayKeyOptions { Id = "tpm-overrun", TokensPerMinute = 1000 };
        ShardedKeyLimits node = Nodes(key, 1)[0];
        Assert.Null(await node.AdmitAsync(key, default)); // a slice of half the minute's tokens
        node.Billed(key, Record(key, null, tokens: 700)); // past its slice, within the limit

        Task<AdmissionRefusal?> next = node.AdmitAsync(key, default).AsTask();
        Assert.Same(next, await Task.WhenAny(next, Task.Delay(TimeSpan.FromSeconds(3))));
        Assert.Null(await next); // 300 left across the cluster: a new slice of it

        node.Billed(key, Record(key, null, tokens: 400));
        Assert.Contains("(1100 used)", (await WhenRefusedAsync(node, key)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnEntityWhoseNodeDoesNotKnowTheKey_CountsWithTheLimitsTheAskingNodeSends()
    {
        var key = new RelayKeyOptions { Id = "drift", RequestsPerMinute = 5 };
        IActorRef entity = _system.ActorOf(KeyLimitsEntity.Props(key.Id, null, null, _clock, TimeSpan.FromSeconds(1)));
        var node = new ShardedKeyLimits(_clock);
        node.Attach(_system.ActorOf(KeyLeaseKeeper.Props(entity, node, TimeSpan.FromSeconds(5))));

        AdmissionRefusal?[] answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => node.AdmitAsync(key, default).AsTask()));

        Assert.Equal(5, answers.Count(a => a is null));
    }

    [Fact]
    public async Task AnEntityStarted_ReadsTheKeysSpendBackFromTheLedger_BeforeItAnswers()
    {
        var key = new RelayKeyOptions { Id = "restored", Budget = 2m, BudgetPeriod = BudgetPeriod.Month };
        var asked = new TaskCompletionSource<(DateTimeOffset, DateTimeOffset)>();
        KeyUsageReader reader = (id, period, window, _) =>
        {
            asked.TrySetResult((period, window));
            return Task.FromResult(id == "restored" ? (2.5m, 0L) : (0m, 0L));
        };
        ShardedKeyLimits[] nodes = Nodes(key, 1, reader);

        AdmissionRefusal? refusal = await nodes[0].AdmitAsync(key, default);

        Assert.Equal("budget_exceeded", refusal?.Code);
        Assert.Contains("2.50 spent of 2.00", refusal!.Message, StringComparison.Ordinal);
        Assert.Equal((new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero)), await asked.Task);
    }

    [Fact]
    public async Task AnEntityTakingOverFromOneThatDied_HasEveryNodeDropItsOldLease_SoTheBudgetStaysExact()
    {
        // 1.00 a month, 0.10 a request: ten requests in all, whichever entity counts them.
        var key = new RelayKeyOptions { Id = "moved", Budget = 1.00m, BudgetPeriod = BudgetPeriod.Month };
        decimal ledger = 0m;
        KeyUsageReader reader = (_, _, _, _) => Task.FromResult((ledger, 0L));
        IActorRef region = _system.ActorOf(Props.Create(() => new SwitchableRegion()));
        ShardedKeyLimits[] nodes = [new(_clock), new(_clock)];
        IActorRef[] keepers = [.. nodes.Select(node => _system.ActorOf(KeyLeaseKeeper.Props(region, node, TimeSpan.FromSeconds(5))))];
        for (int i = 0; i < nodes.Length; i++)
        {
            nodes[i].Attach(keepers[i]);
        }

        Func<IReadOnlyCollection<ActorPath>> paths = () => [.. keepers.Select(k => k.Path)];
        IActorRef first = _system.ActorOf(KeyLimitsEntity.Props(key.Id, key, reader, _clock, TimeSpan.FromSeconds(1), keepers: paths));
        region.Tell(first);

        // Each node admits one request on a slice of the first entity (node 0 half of the budget); both reach the ledger.
        Assert.Null(await nodes[0].AdmitAsync(key, default));
        Assert.Null(await nodes[1].AdmitAsync(key, default));
        ledger = 0.20m;

        // The first entity dies with its node; another starts, reads 0.20 back, and the nodes' leases of the first
        // end (each watches the entity that granted it, and the new one tells them): both need a new slice.
        Assert.True(await first.GracefulStop(TimeSpan.FromSeconds(5)));
        region.Tell(_system.ActorOf(KeyLimitsEntity.Props(key.Id, key, reader, _clock, TimeSpan.FromSeconds(1), keepers: paths)));
        await ClusterNodes.WaitUntilAsync(() => nodes.All(n => n.Find(key.Id)!.Needs(1).Budget), () => "a node still holds the first entity's slice");

        int admitted = 0;
        while (await nodes[1].AdmitAsync(key, default) is null)
        {
            admitted++;
            nodes[1].Billed(key, Record(key, 0.10m, tokens: 10));
            Assert.True(admitted <= 10, "node 1 kept admitting past the budget");
        }

        // The eight left, all through node 1; node 0's half of the first entity's budget is not spent again.
        Assert.Equal(8, admitted);
        Assert.Equal("budget_exceeded", (await nodes[0].AdmitAsync(key, default))?.Code);
    }

    /// <summary>The shard region as the keepers see it: whatever they send reaches the key's entity of the moment.</summary>
    private sealed class SwitchableRegion : ReceiveActor
    {
        private IActorRef _entity = ActorRefs.Nobody;

        public SwitchableRegion()
        {
            Receive<IActorRef>(entity => _entity = entity);
            ReceiveAny(message => _entity.Forward(message));
        }
    }

    /// <summary>One entity for the key and <paramref name="count"/> nodes around it.</summary>
    private ShardedKeyLimits[] Nodes(RelayKeyOptions key, int count, KeyUsageReader? reader = null)
    {
        IActorRef entity = _system.ActorOf(KeyLimitsEntity.Props(key.Id, key, reader, _clock, TimeSpan.FromSeconds(1)));
        return [.. Enumerable.Range(0, count).Select(_ =>
        {
            var limits = new ShardedKeyLimits(_clock);
            limits.Attach(_system.ActorOf(KeyLeaseKeeper.Props(entity, limits, TimeSpan.FromSeconds(5))));
            return limits;
        })];
    }

    /// <summary>
    /// Admits on the node until it refuses: the entity's closing reaches a node after the bills that
    /// crossed the limit, and other nodes pass their bills on in batches (every few milliseconds), so
    /// the refusal comes within a bounded time, not at once.
    /// </summary>
    private static async Task<AdmissionRefusal> WhenRefusedAsync(ShardedKeyLimits node, RelayKeyOptions key)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        while (!deadline.IsCancellationRequested)
        {
            if (await node.AdmitAsync(key, default) is { } refusal)
            {
                return refusal;
            }

            await Task.Delay(10);
        }

        throw new Xunit.Sdk.XunitException("the node kept admitting");
    }

    private BillingRecord Record(RelayKeyOptions key, decimal? cost, long tokens) => new()
    {
        RequestId = Guid.NewGuid().ToString("N"),
        KeyId = key.Id,
        Api = ApiKind.ChatCompletions,
        Provider = "openai",
        RequestedModel = "gpt-4o",
        UpstreamModel = "gpt-4o",
        Streaming = false,
        Usage = new TokenUsage { InputTokens = tokens / 2, OutputTokens = tokens - tokens / 2 },
        Cost = cost,
        Outcome = ExchangeOutcome.Completed,
        EndedBy = EndedBy.Upstream,
        StartedAt = _clock.GetUtcNow(),
        Duration = TimeSpan.FromMilliseconds(5),
    };
}
