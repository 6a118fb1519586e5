using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using AkkaProxy.Hosting.Auth;
using AkkaProxy.Hosting.Configuration;
using AkkaProxy.Hosting.Ledger;
using AkkaProxy.Pipeline.Billing;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaProxy.Cluster.Limits;

/// <summary>
/// The keys' limits as a sharded entity per key: the shard region on every node, this node's lease
/// keeper, the messages' serializer, and the shared limits admission asks.
/// </summary>
internal static class KeyLimitsSharding
{
    /// <summary>The shard region's type name.</summary>
    public const string TypeName = "akkaproxy-key-limits";

    private const int Shards = 64;
    private const string KeeperName = "key-leases";
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ReclaimTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Binds the messages that cross nodes to <see cref="KeyLimitsSerializer"/>.</summary>
    public static readonly string SerializationHocon = $$"""
        akka.actor {
          serializers.akkaproxy-key-limits = "{{typeof(KeyLimitsSerializer).FullName}}, {{typeof(KeyLimitsSerializer).Assembly.GetName().Name}}"
          serialization-bindings { "{{typeof(IKeyLimitsMessage).FullName}}, {{typeof(IKeyLimitsMessage).Assembly.GetName().Name}}" = akkaproxy-key-limits }
        }
        """;

    /// <summary>The shared limits admission asks, registered in the relay's services.</summary>
    public static void AddServices(IServiceCollection services) =>
        services.AddSingleton(sp => new ShardedKeyLimits(sp.GetRequiredService<TimeProvider>()))
            .AddSingleton<ISharedKeyLimits>(sp => sp.GetRequiredService<ShardedKeyLimits>());

    /// <summary>The region, the keeper and the serializer, in the relay's actor system.</summary>
    public static void Add(AkkaConfigurationBuilder akka)
    {
        akka.AddHocon(SerializationHocon, HoconAddMode.Append);
        akka.WithShardRegion<KeyLimitsEntity>(TypeName, (system, _, resolver) =>
        {
            Akka.Cluster.Cluster cluster = Akka.Cluster.Cluster.Get(system);
            RelayAuthOptions auth = resolver.GetService<RelayAuthOptions>();
            Dictionary<string, RelayKeyOptions> keys = auth.Keys.Where(k => k.HasLimits).ToDictionary(k => k.Id, StringComparer.Ordinal);
            KeyUsageReader? reader = resolver.GetService<IServiceProvider>().GetService<ILedgerStore>() is { } ledger ? (id, period, window, ct) => ReadUsageAsync(ledger, id, period, window, ct) : null;
            TimeProvider time = resolver.GetService<TimeProvider>();
            return id => KeyLimitsEntity.Props(id, keys.GetValueOrDefault(id), reader, time, ReclaimTimeout, keepers: () => Keepers(cluster));
        }, new KeyLimitsExtractor(Shards), new ShardOptions
        {
            Role = "relay",
            StateStoreMode = StateStoreMode.DData,
            // An entity's count lives as long as its node: a passivated entity would forget the requests
            // admitted this minute and the leases the nodes hold (with the ledger off, the spend too).
            ShouldPassivateIdleEntities = false,
        });
        akka.WithActors((system, registry, resolver) =>
        {
            ShardedKeyLimits limits = resolver.GetService<ShardedKeyLimits>();
            IServiceProvider services = resolver.GetService<IServiceProvider>();
            LedgerWriter? ledger = services.GetService<LedgerWriter>();
            BillingGateway? gateway = services.GetService<BillingGateway>();
            var keeper = system.ActorOf(KeyLeaseKeeper.Props(registry.Get<KeyLimitsEntity>(), limits, AskTimeout, ledger is null ? null : ct => WrittenAsync(gateway, ledger, ct)), KeeperName);
            limits.Attach(keeper);
        });
    }

    /// <summary>Every record this node billed so far is in the ledger: past the billing gateway's queue, then committed by the ledger's writer.</summary>
    private static async Task WrittenAsync(BillingGateway? gateway, LedgerWriter ledger, CancellationToken cancellationToken)
    {
        if (gateway is not null)
        {
            await gateway.WhenDeliveredAsync(cancellationToken).ConfigureAwait(false);
        }

        await ledger.WhenWrittenAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The lease keepers of the relay nodes this one can reach: those that may hold a lease of an entity that is gone.</summary>
    private static ActorPath[] Keepers(Akka.Cluster.Cluster cluster)
    {
        ClusterEvent.CurrentClusterState state = cluster.State;
        return [.. state.Members
            .Where(m => m.HasRole("relay") && (m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Leaving) && !state.Unreachable.Contains(m))
            .Select(m => new RootActorPath(m.Address) / "user" / KeeperName)];
    }

    /// <summary>The key's spend since the period's start and its tokens since the minute's, from the ledger.</summary>
    private static async Task<(decimal Spent, long Tokens)> ReadUsageAsync(ILedgerStore ledger, string keyId, DateTimeOffset periodStart, DateTimeOffset window, CancellationToken cancellationToken)
    {
        IReadOnlyList<LedgerSummaryRow> period = await ledger.SummarizeAsync(LedgerGrouping.Key, new LedgerRange(periodStart, null), cancellationToken).ConfigureAwait(false);
        IReadOnlyList<LedgerSummaryRow> minute = await ledger.SummarizeAsync(LedgerGrouping.Key, new LedgerRange(window, null), cancellationToken).ConfigureAwait(false);
        LedgerSummaryRow? spent = period.FirstOrDefault(r => r.Group == keyId);
        LedgerSummaryRow? tokens = minute.FirstOrDefault(r => r.Group == keyId);
        return (spent?.Cost ?? 0m, tokens is null ? 0 : tokens.InputTokens + tokens.OutputTokens);
    }

    /// <summary>A message's entity is its key; its shard, a hash of the key.</summary>
    internal sealed class KeyLimitsExtractor(int shards) : HashCodeMessageExtractor(shards)
    {
        public override string? EntityId(object message) => (message as IKeyLimitsMessage)?.KeyId;
    }
}
