using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Hosting;
using Akka.Remote.Hosting;
using AkkaProxy.Cluster.Affinity;
using AkkaProxy.Cluster.Limits;
using AkkaProxy.Hosting.Cluster;

namespace AkkaProxy.Cluster;

/// <summary>
/// Makes the relay's own actor system a node of an Akka.Cluster when <c>akkaproxy.cluster.enabled</c>:
/// remoting on the configured address, the seed nodes to join, the split-brain resolver keeping the
/// majority. A service that embeds the relay in its own actor system configures its cluster itself.
/// </summary>
internal static class RelayCluster
{
    public static void Join(AkkaConfigurationBuilder akka, RelayClusterOptions options)
    {
        if (!options.Enabled)
        {
            return; // one node: no remoting, no cluster, as before
        }

        akka.WithRemoting(options.Hostname, options.Port, options.PublicHostname.Length > 0 ? options.PublicHostname : null);
        akka.WithClustering(new ClusterOptions
        {
            SeedNodes = [.. options.SeedNodes],
            Roles = ["relay"],
            SplitBrainResolver = new KeepMajorityOption(),
        });
        KeyLimitsSharding.Add(akka); // the keys' budgets and rate limits, one entity per key across the nodes
        SocketAffinitySharding.Add(akka); // which node's pool holds the socket a continuation needs
        akka.AddHocon($"akka.cluster.split-brain-resolver.stable-after = {(long)options.DownStableAfter.TotalMilliseconds}ms", HoconAddMode.Prepend);
    }
}
