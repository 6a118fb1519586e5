namespace AkkaProxy.LoadHarness.Results;

/// <summary>
/// What the service's parts cost on the data path: the same scenarios at c=32 against four fresh
/// relays, in rounds with the order rotating: the ledger on and off, and a relay key with and without
/// limits (budget, requests and tokens per minute, set too high to refuse).
/// </summary>
public sealed record ServiceCostFigures(IReadOnlyList<RunFigures> Runs)
{
    public const string LedgerOn = "relay-ledger-on";
    public const string LedgerOff = "relay-ledger-off";
    public const string KeyPlain = "relay-key";
    public const string KeyLimits = "relay-key-limits";

    /// <summary>The variants, in the order the report lists them.</summary>
    public static IReadOnlyList<string> Variants { get; } = [LedgerOn, LedgerOff, KeyPlain, KeyLimits];

    /// <summary>The scenarios measured.</summary>
    public IEnumerable<string> Scenarios => Runs.Select(r => r.Scenario).Distinct();

    /// <summary>The median req/s of <paramref name="variant"/> over the rounds of <paramref name="scenario"/>.</summary>
    public double MedianPerSecond(string scenario, string variant)
    {
        double[] rates = [.. Runs.Where(r => r.Scenario == scenario && r.Target == variant).Select(r => r.Load.PerSecond).Order()];
        return rates.Length == 0 ? double.NaN : rates.Length % 2 == 1 ? rates[rates.Length / 2] : (rates[(rates.Length / 2) - 1] + rates[rates.Length / 2]) / 2;
    }

    /// <summary>The share of req/s <paramref name="with"/> loses against <paramref name="without"/> (0.03 = 3% fewer), medians.</summary>
    public double Cost(string scenario, string with, string without) =>
        1 - (MedianPerSecond(scenario, with) / MedianPerSecond(scenario, without));
}
