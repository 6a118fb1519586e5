using AkkaProxy.Cluster;
using AkkaProxy.Cluster.Affinity;
using AkkaProxy.Cluster.Limits;

namespace AkkaProxy.Hosting;

/// <summary>Lets a relay join an Akka.Cluster: <c>builder.AddAkkaProxy(relay => relay.UseCluster())</c>.</summary>
public static class ClusterExtensions
{
    /// <summary>
    /// When <c>akkaproxy.cluster.enabled = true</c>, makes the relay's actor system a cluster node: remoting
    /// on <c>akkaproxy.cluster.hostname</c> and <c>port</c>, the <c>seed-nodes</c> to join, the split-brain
    /// resolver keeping the majority. Off (the default), the node starts no remoting and no cluster.
    /// A service that embeds the relay in an actor system of its own (its own <c>AddAkka</c>) configures that
    /// system's cluster itself.
    /// </summary>
    /// <param name="relay">The relay's options.</param>
    /// <returns>The same options.</returns>
    public static AkkaProxyOptions UseCluster(this AkkaProxyOptions relay)
    {
        ArgumentNullException.ThrowIfNull(relay);
        return relay.UseClusterSetup(RelayCluster.Join, services =>
        {
            KeyLimitsSharding.AddServices(services);
            SocketAffinitySharding.AddServices(services);
        });
    }
}
