using AkkaProxy.Host.Auth;
using AkkaProxy.Host.Ledger;
using AkkaProxy.Pipeline;

namespace AkkaProxy.Host.Configuration;

/// <summary>
/// Checks the whole configuration before the relay starts and reports every error at once, each
/// with its path, rather than the first one a service happens to read.
/// </summary>
internal static class StartupValidation
{
    /// <summary>Every problem found, one per entry; empty when the configuration is usable.</summary>
    public static IReadOnlyList<string> Problems(IConfiguration config)
    {
        var problems = new List<string>();
        Check(problems, "akkaproxy.pipeline", () =>
        {
            var pipeline = new ProxyStreamOptions();
            RelayConfiguration.BindPipeline(config, pipeline);
            pipeline.Validate();
        });
        Check(problems, "akkaproxy.routing", () => RelayConfiguration.ReadRouting(config));
        Check(problems, "akkaproxy.pricing", () => RelayConfiguration.ReadPricing(config));
        Check(problems, "akkaproxy.auth", () => _ = new RelayKeyValidator(RelayConfiguration.ReadAuth(config)));
        Check(problems, "akkaproxy.billing", () => RelayConfiguration.ReadBilling(config));
        Check(problems, "akkaproxy.ledger", () => RelayConfiguration.ReadLedger(config).Validate());
        Check(problems, "akkaproxy.websocket", () => RelayConfiguration.ReadWebSocket(config).Validate());
        return problems;
    }

    /// <summary>Throws one exception listing every problem, when there is any.</summary>
    public static void ThrowIfInvalid(IConfiguration config)
    {
        IReadOnlyList<string> problems = Problems(config);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(
                $"The relay's configuration has {problems.Count} error{(problems.Count == 1 ? "" : "s")}:\n  - " + string.Join("\n  - ", problems));
        }
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
