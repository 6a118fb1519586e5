using AkkaProxy.Hosting.Auth;
using AkkaProxy.Hosting.Ledger;
using AkkaProxy.Pipeline;

namespace AkkaProxy.Hosting.Configuration;

/// <summary>
/// Checks the whole configuration before the relay starts and reports every error at once, each
/// with its path, rather than the first one a service happens to read.
/// </summary>
internal static class StartupValidation
{
    /// <summary>Every problem found, one per entry; empty when the configuration is usable.</summary>
    public static IReadOnlyList<string> Problems(IConfiguration config)
    {
        var problems = new List<string>(ConfigurationKeys.Unknown(config));
        Check(problems, "akkaproxy.pipeline", () =>
        {
            var pipeline = new ProxyStreamOptions();
            RelayConfiguration.BindPipeline(config, pipeline);
            pipeline.Validate();
        });
        // Built, not only read: a provider's own checks (a Bedrock provider's region, a transport its kind
        // has not) are start-up errors with the others, not an exception when the router is first resolved.
        Check(problems, "akkaproxy.routing", () => _ = new AkkaProxy.Pipeline.Routing.ModelRouter(RelayConfiguration.ReadRouting(config), _ => null));
        Check(problems, "akkaproxy.pricing", () => RelayConfiguration.ReadPricing(config));
        // Read once: a bad value is reported here, not again by the checks below that need the keys.
        RelayAuthOptions? auth = null;
        Check(problems, "akkaproxy.auth", () =>
        {
            auth = RelayConfiguration.ReadAuth(config);
            _ = new RelayKeyValidator(auth);
        });
        Check(problems, "akkaproxy.billing", () => RelayConfiguration.ReadBilling(config));
        Check(problems, "akkaproxy.ledger", () => RelayConfiguration.ReadLedger(config).Validate());
        Check(problems, "akkaproxy.cluster", () =>
        {
            AkkaProxy.Hosting.Ledger.LedgerOptions? ledger = null;
            try
            {
                ledger = RelayConfiguration.ReadLedger(config);
            }
            catch (InvalidOperationException)
            {
                // reported by the ledger's check above; the cluster's own settings are still checked
            }

            string[] cluster = [.. RelayConfiguration.ReadCluster(config).Problems(ledger?.Enabled == true, ledger?.Store.ToString() ?? "")];
            if (cluster.Length > 0)
            {
                throw new InvalidOperationException(string.Join('\n', cluster));
            }
        });
        Check(problems, "akkaproxy.websocket", () => RelayConfiguration.ReadWebSocket(config).Validate());
        Check(problems, "akkaproxy.upstream-websocket", () => RelayConfiguration.ReadUpstreamSockets(config).Validate());
        Check(problems, "akkaproxy.shutdown", () => RelayConfiguration.ReadShutdown(config).Validate());
        Check(problems, "akkaproxy.auth", () => RefuseOpenBeyondLoopback(config, auth));
        Check(problems, "akkaproxy.auth", () =>
        {
            if (auth is null)
            {
                return; // reported above
            }

            string[] providers;
            try
            {
                providers = [.. RelayConfiguration.ReadRouting(config).Providers.Select(p => p.Name)];
            }
            catch (InvalidOperationException)
            {
                return; // the routing check above reports it; key limits are checked once routing reads
            }

            string[] limits = [.. auth.Keys.SelectMany(key => key.Problems(providers))];
            if (limits.Length > 0)
            {
                throw new InvalidOperationException(string.Join('\n', limits));
            }
        });
        Check(problems, "akkaproxy.observability", () =>
        {
            AkkaProxy.Hosting.Observability.ObservabilityOptions observability = RelayConfiguration.ReadObservability(config);
            if (observability.OtlpEndpoint.Length > 0 && !Uri.TryCreate(observability.OtlpEndpoint, UriKind.Absolute, out _))
            {
                throw new InvalidOperationException($"akkaproxy.observability.otlp-endpoint = '{observability.OtlpEndpoint}' is not an absolute URL.");
            }

            if (!observability.PrometheusPath.StartsWith('/'))
            {
                throw new InvalidOperationException($"akkaproxy.observability.prometheus-path = '{observability.PrometheusPath}' must start with '/'.");
            }
        });
        return problems;
    }

    /// <summary>Throws one exception listing every problem, when there is any.</summary>
    public static void ThrowIfInvalid(IConfiguration config)
    {
        IReadOnlyList<string> problems = Problems(config);
        if (problems.Count > 0)
        {
            throw new RelayConfigurationException(problems);
        }
    }

    /// <summary>
    /// With no relay keys the relay accepts every client: that is allowed on loopback only. Bound to
    /// any other address (<c>0.0.0.0</c>, <c>*</c>, a host name, a LAN address) it refuses to start.
    /// </summary>
    private static void RefuseOpenBeyondLoopback(IConfiguration config, RelayAuthOptions? auth)
    {
        if (auth is null || auth.Keys.Count > 0)
        {
            return; // keys configured (or unreadable, reported by the auth check): not an open relay
        }

        // No URL configured: ASP.NET Core's default (localhost:5000), or the host's (127.0.0.1:8080); loopback both.
        IEnumerable<string> urls = (config["urls"] ?? config["ASPNETCORE_URLS"] ?? "http://localhost:5000")
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Concat(config.GetSection("Kestrel:Endpoints").GetChildren().Select(endpoint => endpoint["Url"]).OfType<string>());
        string[] exposed = [.. urls.Where(url => !IsLoopback(url))];
        if (exposed.Length > 0)
        {
            throw new InvalidOperationException(
                $"akkaproxy.auth.keys is empty, so the relay would accept every client, and it is bound beyond loopback ({string.Join(", ", exposed)}): "
                + "configure relay keys, or bind it to 127.0.0.1 or localhost.");
        }
    }

    private static bool IsLoopback(string url)
    {
        int scheme = url.IndexOf("://", StringComparison.Ordinal);
        string rest = scheme < 0 ? url : url[(scheme + 3)..];
        string host = rest.StartsWith('[') ? rest[..(rest.IndexOf(']') + 1)] : rest.Split(':', '/')[0];
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out System.Net.IPAddress? address) && System.Net.IPAddress.IsLoopback(address));
    }

    private static void Check(List<string> problems, string section, Action read)
    {
        try
        {
            read();
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException)
        {
            foreach (string line in ex.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                // A message that names its own path (most do) stands as it is; others get their section.
                problems.Add(line.StartsWith("akkaproxy", StringComparison.OrdinalIgnoreCase) || line.StartsWith(section, StringComparison.Ordinal) ? line : $"{section}: {line}");
            }
        }
    }
}
