using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using AkkaProxy.Hosting.Cluster;
using AkkaProxy.Hosting.Configuration;
using AkkaProxy.Pipeline.Pooling;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaProxy.Cluster.Affinity;

/// <summary>
/// Conversation affinity across nodes: the directory of response ids (a sharded bucket per hash of
/// the id) on every node, its serializer, and the directory the socket pools and the HTTP relay use.
/// </summary>
internal static class SocketAffinitySharding
{
    /// <summary>The shard region's type name.</summary>
    public const string TypeName = "akkaproxy-response-directory";

    private const int Buckets = 256;
    private const int Shards = 64;

    /// <summary>Binds the messages that cross nodes to <see cref="AffinitySerializer"/>.</summary>
    public static readonly string SerializationHocon = $$"""
        akka.actor {
          serializers.akkaproxy-affinity = "{{typeof(AffinitySerializer).FullName}}, {{typeof(AffinitySerializer).Assembly.GetName().Name}}"
          serialization-bindings { "{{typeof(IAffinityMessage).FullName}}, {{typeof(IAffinityMessage).Assembly.GetName().Name}}" = akkaproxy-affinity }
        }
        """;

    /// <summary>The directory the pools and the HTTP relay use, registered in the relay's services.</summary>
    public static void AddServices(IServiceCollection services) =>
        services.AddSingleton(sp => new NodeForwarder(
                sp.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>(),
                RelayConfiguration.ReadCluster(sp.GetRequiredService<IConfiguration>()),
                sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<NodeForwarder>>()))
            .AddSingleton<ClusterSocketAffinity>()
            .AddSingleton<ISocketAffinityDirectory>(sp => sp.GetRequiredService<ClusterSocketAffinity>());

    /// <summary>The directory's shard region and serializer, in the relay's actor system.</summary>
    public static void Add(AkkaConfigurationBuilder akka)
    {
        akka.AddHocon(SerializationHocon, HoconAddMode.Append);
        akka.WithShardRegion<ResponseDirectoryEntity>(TypeName, (_, _, resolver) =>
        {
            TimeProvider time = resolver.GetService<TimeProvider>();
            TimeSpan maxAge = resolver.GetService<UpstreamSocketPoolOptions>().IdleTimeout;
            return _ => ResponseDirectoryEntity.Props(time, maxAge);
        }, new BucketExtractor(Shards), new ShardOptions { Role = "relay", StateStoreMode = StateStoreMode.DData, ShouldPassivateIdleEntities = false });
        akka.WithActors((system, registry, resolver) => resolver.GetService<ClusterSocketAffinity>()
            .Attach(registry.Get<ResponseDirectoryEntity>(), Akka.Cluster.Cluster.Get(system).SelfAddress.ToString()));
    }

    /// <summary>The bucket of a response id: a stable hash (FNV-1a over its UTF-16 code units), the same on every node.</summary>
    internal static string BucketOf(string responseId)
    {
        uint hash = 2166136261;
        foreach (char c in responseId)
        {
            hash = (hash ^ c) * 16777619;
        }

        return "b" + (hash % Buckets).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A message's entity is its response id's bucket.</summary>
    internal sealed class BucketExtractor(int shards) : HashCodeMessageExtractor(shards)
    {
        public override string? EntityId(object message) => message is IAffinityMessage m ? BucketOf(m.ResponseId) : null;
    }
}
