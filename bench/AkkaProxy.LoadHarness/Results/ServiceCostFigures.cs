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

    /// <summary>
    /// The share of req/s <paramref name="with"/> loses against <paramref name="without"/> (0.03 = 3% fewer):
    /// the median over the rounds of each round's own ratio, so a slow stretch of the machine that
    /// falls on one round weighs on both sides of that round's ratio alike.
    /// </summary>
    public double Cost(string scenario, string with, string without) => 1 - Median(PairedRatios(scenario, with, without, r => r.Load.PerSecond));

    /// <summary>The relay's CPU per request of <paramref name="with"/> over <paramref name="without"/>'s, minus one (0.1 = 10% more), median of the rounds' ratios.</summary>
    public double CpuCost(string scenario, string with, string without) => Median(PairedRatios(scenario, with, without, CpuMicrosPerRequest)) - 1;

    /// <summary>The relay's CPU µs per completed request of a run.</summary>
    public static double CpuMicrosPerRequest(RunFigures run) =>
        run.Server.IsMeasured && run.Load.Completed > 0 ? run.Server.CpuSeconds * 1e6 / run.Load.Completed : double.NaN;

    private IEnumerable<double> PairedRatios(string scenario, string with, string without, Func<RunFigures, double> figure)
    {
        RunFigures[] a = [.. Runs.Where(r => r.Scenario == scenario && r.Target == with)];
        RunFigures[] b = [.. Runs.Where(r => r.Scenario == scenario && r.Target == without)];
        return a.Zip(b, (x, y) => figure(x) / figure(y));
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Where(v => !double.IsNaN(v)).Order()];
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
