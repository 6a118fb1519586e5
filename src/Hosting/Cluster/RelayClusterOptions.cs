namespace AkkaProxy.Hosting.Cluster;

/// <summary>
/// Running several relay nodes as one Akka.Cluster (<c>akkaproxy.cluster</c>). Off by default: a single
/// node starts no remoting and no cluster, exactly as before.
/// </summary>
internal sealed class RelayClusterOptions
{
    /// <summary>Whether this node joins a cluster.</summary>
    public bool Enabled { get; set; }

    /// <summary>The address the node binds for the cluster's own traffic (Akka.Remote).</summary>
    public string Hostname { get; set; } = "127.0.0.1";

    /// <summary>The name other nodes reach this one by, when it differs from <see cref="Hostname"/> (a container's host name behind <c>0.0.0.0</c>). Empty: <see cref="Hostname"/>.</summary>
    public string PublicHostname { get; set; } = "";

    /// <summary>
    /// This node's relay URL as the other nodes reach it (<c>http://10.0.0.5:8080</c>), for sending a
    /// continuation on to the node holding its socket. Empty: the server's first http address, with
    /// <see cref="PublicHostname"/> (or <see cref="Hostname"/>) for a host that listens on every address.
    /// </summary>
    public string HttpUrl { get; set; } = "";

    /// <summary>The TCP port of the cluster's traffic; 0 picks a free one (a node that is no seed).</summary>
    public int Port { get; set; } = 4053;

    /// <summary>The nodes a starting node contacts, as <c>akka.tcp://akkaproxy@host:port</c>; the first one lists itself first.</summary>
    public List<string> SeedNodes { get; set; } = [];

    /// <summary>How long membership must be stable before the split-brain resolver downs the unreachable side (keep-majority).</summary>
    public TimeSpan DownStableAfter { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Whether <paramref name="seed"/> is a node of the relay's actor system with a host and a port.</summary>
    private static bool IsSeedAddress(string seed) =>
        Akka.Actor.Address.TryParse(seed, out Akka.Actor.Address? address)
        && address.Protocol is "akka.tcp" or "akka.ssl.tcp"
        && address.System == RelayServices.ActorSystemName
        && !string.IsNullOrEmpty(address.Host)
        && address.Port is > 0 and <= 65535;

    /// <summary>The problems of these settings, one line each (empty when they are sound).</summary>
    public IEnumerable<string> Problems(bool ledgerEnabled, string ledgerStore)
    {
        if (!Enabled)
        {
            yield break;
        }

        if (SeedNodes.Count == 0)
        {
            yield return "akkaproxy.cluster.seed-nodes is empty: list the nodes to join (akka.tcp://akkaproxy@host:port), this one first on the first node.";
        }

        foreach (string seed in SeedNodes.Where(s => !IsSeedAddress(s)))
        {
            yield return $"akkaproxy.cluster.seed-nodes has '{seed}': a seed node is akka.tcp://{RelayServices.ActorSystemName}@host:port (or akka.ssl.tcp:// with TLS on).";
        }

        if (DownStableAfter < TimeSpan.FromMilliseconds(1))
        {
            yield return $"akkaproxy.cluster.down-stable-after = {DownStableAfter} must be positive.";
        }

        if (Port is < 0 or > 65535)
        {
            yield return $"akkaproxy.cluster.port = {Port} is no TCP port.";
        }

        if (HttpUrl.Length > 0 && !(Uri.TryCreate(HttpUrl, UriKind.Absolute, out Uri? url) && url.Scheme is "http" or "https" && url.AbsolutePath == "/"))
        {
            yield return $"akkaproxy.cluster.http-url = '{HttpUrl}' is no http or https URL of a host (http://10.0.0.5:8080).";
        }

        if (ledgerEnabled && !string.Equals(ledgerStore, "Postgresql", StringComparison.OrdinalIgnoreCase))
        {
            // Nodes on one SQLite file would each keep their own view of budgets over one shared ledger.
            yield return "akkaproxy.cluster is enabled with the SQLite ledger: every node of a cluster writes one PostgreSQL ledger (akkaproxy.ledger.store = postgresql), or none (akkaproxy.ledger.enabled = false).";
        }
    }
}
