using AkkaProxy.LoadHarness.Load;
using AkkaProxy.LoadHarness.Results;
using AkkaProxy.LoadHarness.Targets;

namespace AkkaProxy.LoadHarness.Report;

/// <summary>
/// The issues' targets, evaluated on one run's figures (every ratio from the same run): the relay
/// against nginx (throughput, added latency), its absolute WebSocket figures, and, when the earlier
/// build ran beside it (<c>--baseline</c>), the relay against that build.
/// </summary>
public static class TargetChecks
{
    public const double IdleSocketLimitKiB = 32;
    public const double WebSocketEventsPerSecond = 100_000;

    /// <summary>HTTP req/s of the relay at least this share of the earlier build's, every scenario, c=1 and c=32.</summary>
    public const double BeforeThroughput = 0.95;

    /// <summary>Bytes the relay may allocate per HTTP request above the earlier build ("4 KB", taken as 4 KiB).</summary>
    public const double AllocationAllowanceBytes = 4096;

    /// <summary>WebSocket events/s of the relay at least this share of the earlier build's.</summary>
    public const double BeforeWebSocket = 1.0;

    public static IReadOnlyList<TargetCheck> Evaluate(HarnessResults results)
    {
        var checks = new List<TargetCheck>
        {
            Throughput(results, 32, 0.9),
            Throughput(results, 1, 0.8),
            AddedLatency(results),
            new("usage tap: 0 B allocated per delta event",
                "micro-benchmarks above: `DecodeTap_Reused` allocates 0 B per stream; slope 0.000 B/delta on every realistic path", true),
            WebSocketRate(results),
            IdleSocket(results),
        };

        foreach (int concurrency in new[] { 1, 32 })
        {
            checks.Add(ThroughputAgainstBefore(results, concurrency));
        }

        foreach (int concurrency in new[] { 1, 32 })
        {
            checks.Add(AllocationAgainstBefore(results, concurrency));
        }

        checks.Add(OneSocketAgainstBefore(results));
        checks.Add(ManySocketsAgainstBefore(results));
        checks.Add(IdleSocketAgainstBefore(results));
        checks.Add(ServiceCost(results, "the usage ledger costs at most 5% of req/s (chat-sse, c=32, ledger on vs off)", ServiceCostFigures.LedgerOn, ServiceCostFigures.LedgerOff, 0.05));
        checks.Add(ServiceCost(results, "budget checks and rate limits cost at most 2% of req/s (chat-sse, c=32, key with limits vs without)", ServiceCostFigures.KeyLimits, ServiceCostFigures.KeyPlain, 0.02));
        return checks;
    }

    /// <summary>The worst scenario's share of req/s lost by <paramref name="with"/> against <paramref name="without"/>, medians of the rounds.</summary>
    private static TargetCheck ServiceCost(HarnessResults results, string name, string with, string without, double allowed)
    {
        if (results.ServiceCosts is not ServiceCostFigures costs || !costs.Scenarios.Any())
        {
            return new TargetCheck(name, "not run", null);
        }

        (string Scenario, double Cost)[] all = [.. costs.Scenarios.Select(s => (s, costs.Cost(s, with, without)))];
        string measured = string.Join("; ", all.Select(c => $"{c.Scenario}: {c.Cost:P1}"));
        return new TargetCheck(name, measured, all.All(c => c.Cost <= allowed));
    }

    /// <summary>(relay p50 − direct p50) / (<paramref name="against"/> p50 − direct p50); NaN when that target added nothing measurable.</summary>
    public static double AddedRatio(HarnessResults results, string scenario, int concurrency, string against = Target.Nginx)
    {
        double direct = results.Find(scenario, concurrency, Target.Direct)?.Load.P50Ms ?? double.NaN;
        double other = (results.Find(scenario, concurrency, against)?.Load.P50Ms ?? double.NaN) - direct;
        double relay = (results.Find(scenario, concurrency, Target.Relay)?.Load.P50Ms ?? double.NaN) - direct;
        return other > 0 ? relay / other : double.NaN;
    }

    /// <summary>The relay's req/s ÷ <paramref name="against"/>'s, for one scenario at one concurrency (NaN when either did not run).</summary>
    public static double PerSecondRatio(HarnessResults results, string scenario, int concurrency, string against) =>
        Fmt.Ratio(results.Find(scenario, concurrency, Target.Relay)?.Load.PerSecond ?? double.NaN, results.Find(scenario, concurrency, against)?.Load.PerSecond ?? double.NaN);

    private static TargetCheck Throughput(HarnessResults results, int concurrency, double required) =>
        AtLeast($"streaming req/s ≥ {required:0.0}× nginx at c={concurrency}",
            ScenarioNames(results, s => s.IsStreaming).Select(s => (s, PerSecondRatio(results, s, concurrency, Target.Nginx))), required);

    private static TargetCheck AddedLatency(HarnessResults results)
    {
        const string name = "added p50 latency at c=1 ≤ 1.3× nginx's";
        var ratios = results.Runs.Select(r => r.Scenario).Distinct()
            .Select(s => (s, Ratio: AddedRatio(results, s, 1)))
            .Where(r => double.IsFinite(r.Ratio))
            .ToList();
        if (ratios.Count == 0)
        {
            return new TargetCheck(name, "not run", null);
        }

        var worst = ratios.MaxBy(r => r.Ratio);
        string all = string.Join(", ", ratios.Select(r => $"{r.s} {Fmt.X(r.Ratio)}"));
        string missed = string.Join(", ", ratios.Where(r => r.Ratio > 1.3).Select(r => $"{Fmt.X(r.Ratio - 1.3)} on {r.s}"));
        return new TargetCheck(name, $"worst {Fmt.X(worst.Ratio)} ({worst.s}); {all}", worst.Ratio <= 1.3, missed);
    }

    private static TargetCheck WebSocketRate(HarnessResults results)
    {
        const string name = "WebSocket ≥ 100k events/s relayed";
        OneSocketFigures[] one = [.. results.OneSocket.Where(o => o.Target == Target.Relay)];
        ManySocketsFigures[] many = [.. results.ManySockets.Where(m => m.Target == Target.Relay)];
        var rates = new List<(string What, double Rate)>();
        if (one.Length > 0)
        {
            rates.Add(("one socket", one.All(o => o.Error is null) ? results.OneSocketRate(Target.Relay) : double.NaN));
        }

        if (many.Length > 0)
        {
            rates.Add(($"{many[0].Sockets:N0} sockets", many.All(m => m.Load.Errors == 0) ? results.ManySocketsRate(Target.Relay) : double.NaN));
        }

        if (rates.Count == 0)
        {
            return new TargetCheck(name, "not run", null);
        }

        string missed = string.Join(", ", rates.Where(r => !(r.Rate >= WebSocketEventsPerSecond)).Select(r => $"{Fmt.N0(WebSocketEventsPerSecond - r.Rate)} events/s on {r.What}"));
        return new TargetCheck(name, string.Join("; ", rates.Select(r => $"{r.What}: {Fmt.N0(r.Rate)} events/s")), rates.All(r => r.Rate >= WebSocketEventsPerSecond), missed);
    }

    private static TargetCheck IdleSocket(HarnessResults results)
    {
        const string name = "WebSocket ≤ 32 KiB per idle socket";
        if (results.Idle(Target.Relay) is not IdleSocketFigures idle)
        {
            return new TargetCheck(name, "not run", null);
        }

        string heap = idle.HeapPerSocketKiB is double h ? $"; managed heap after a full GC: {Fmt.F(h, 1)} KiB per socket" : "";
        return new TargetCheck(name,
            $"relay RSS, fresh relay: {Fmt.F(idle.PerSocketKiB, 1)} KiB per socket ({idle.Opened:N0} sockets); second round, pools grown: {Fmt.F(idle.SecondPerSocketKiB, 1)} KiB{heap}",
            idle.PerSocketKiB <= IdleSocketLimitKiB, $"{Fmt.F(idle.PerSocketKiB - IdleSocketLimitKiB, 1)} KiB");
    }

    private static TargetCheck ThroughputAgainstBefore(HarnessResults results, int concurrency) =>
        AtLeast($"HTTP req/s ≥ {BeforeThroughput:0.00}× the earlier build at c={concurrency}, every scenario",
            ScenarioNames(results, s => s.Kind != ScenarioKind.WebSocket).Select(s => (s, PerSecondRatio(results, s, concurrency, Target.RelayBefore))), BeforeThroughput);

    private static TargetCheck AllocationAgainstBefore(HarnessResults results, int concurrency)
    {
        string name = $"HTTP allocation per request ≤ the earlier build's + 4 KB at c={concurrency}, every scenario";
        var rows = ScenarioNames(results, s => s.Kind != ScenarioKind.WebSocket)
            .Select(s => (s, Before: results.Find(s, concurrency, Target.RelayBefore)?.AllocatedPerRequest ?? double.NaN, After: results.Find(s, concurrency, Target.Relay)?.AllocatedPerRequest ?? double.NaN))
            .Where(r => double.IsFinite(r.Before) && double.IsFinite(r.After))
            .ToList();
        if (rows.Count == 0)
        {
            return new TargetCheck(name, "not run", null);
        }

        var worst = rows.MaxBy(r => r.After - r.Before);
        string all = string.Join(", ", rows.Select(r => $"{r.s} {Fmt.N0(r.Before)} → {Fmt.N0(r.After)} B ({Bytes(r.After - r.Before)})"));
        string missed = string.Join(", ", rows.Where(r => r.After - r.Before > AllocationAllowanceBytes).Select(r => $"{Fmt.N0(r.After - r.Before - AllocationAllowanceBytes)} B on {r.s}"));
        return new TargetCheck(name, $"worst {Bytes(worst.After - worst.Before)} ({worst.s}); {all}", worst.After - worst.Before <= AllocationAllowanceBytes, missed);
    }

    private static TargetCheck OneSocketAgainstBefore(HarnessResults results)
    {
        OneSocketFigures[] before = [.. results.OneSocket.Where(o => o.Target == Target.RelayBefore)];
        OneSocketFigures[] relay = [.. results.OneSocket.Where(o => o.Target == Target.Relay)];
        string? beforeError = before.Select(o => o.Error).FirstOrDefault(e => e is not null);
        string? relayError = relay.Select(o => o.Error).FirstOrDefault(e => e is not null);
        (double b, double r) = (results.OneSocketRate(Target.RelayBefore), results.OneSocketRate(Target.Relay));
        double ratio = beforeError is null && relayError is null ? Fmt.Ratio(r, b) : double.NaN;
        string measured = before.Length == 0 || relay.Length == 0 ? "not run"
            : $"{Fmt.N0(b)} → {Fmt.N0(r)} events/s = {Fmt.X(ratio)}, {Rounds(before.Length, relay.Length)}{Errors(beforeError, relayError)}";
        return AtLeast($"WebSocket events/s through one socket ≥ {BeforeWebSocket:0.0}× the earlier build", measured, relay.Any(o => o.Error is not null) ? 0 : ratio, BeforeWebSocket);
    }

    private static TargetCheck ManySocketsAgainstBefore(HarnessResults results)
    {
        ManySocketsFigures[] before = [.. results.ManySockets.Where(m => m.Target == Target.RelayBefore)];
        ManySocketsFigures[] relay = [.. results.ManySockets.Where(m => m.Target == Target.Relay)];
        int sockets = relay.FirstOrDefault()?.Sockets ?? before.FirstOrDefault()?.Sockets ?? 1000;
        (long be, long re) = (before.Sum(m => m.Load.Errors), relay.Sum(m => m.Load.Errors));
        (double b, double r) = (results.ManySocketsRate(Target.RelayBefore), results.ManySocketsRate(Target.Relay));
        double ratio = be == 0 && re == 0 ? Fmt.Ratio(r, b) : double.NaN;
        string measured = before.Length == 0 || relay.Length == 0 ? "not run"
            : $"{Fmt.N0(b)} → {Fmt.N0(r)} events/s = {Fmt.X(ratio)}, {Rounds(before.Length, relay.Length)}; errors {be} → {re}";
        return AtLeast($"WebSocket events/s across {sockets:N0} sockets ≥ {BeforeWebSocket:0.0}× the earlier build", measured, re > 0 ? 0 : ratio, BeforeWebSocket);
    }

    private static string Rounds(int before, int relay) => before == relay ? $"{relay} round(s) pooled" : $"{before} and {relay} rounds pooled";

    private static TargetCheck IdleSocketAgainstBefore(HarnessResults results)
    {
        const string name = "memory per idle socket no worse than the earlier build's";
        if (results.Idle(Target.RelayBefore) is not IdleSocketFigures before || results.Idle(Target.Relay) is not IdleSocketFigures relay)
        {
            return new TargetCheck(name, "not run", null);
        }

        static string Heap(IdleSocketFigures idle) => idle.HeapPerSocketKiB is double h ? Fmt.F(h, 1) : Fmt.None;
        double worse = relay.PerSocketKiB - before.PerSocketKiB;
        return new TargetCheck(name,
            $"RSS per socket, fresh relay: {Fmt.F(before.PerSocketKiB, 1)} → {Fmt.F(relay.PerSocketKiB, 1)} KiB; second round: {Fmt.F(before.SecondPerSocketKiB, 1)} → {Fmt.F(relay.SecondPerSocketKiB, 1)} KiB; managed heap: {Heap(before)} → {Heap(relay)} KiB",
            double.IsFinite(worse) ? worse <= 0 : null, $"{Fmt.F(worse, 1)} KiB per socket");
    }

    /// <summary>A target "every ratio ≥ <paramref name="required"/>": met when the worst is; names each one missed and by how much.</summary>
    private static TargetCheck AtLeast(string name, IEnumerable<(string What, double Ratio)> ratios, double required)
    {
        var measured = ratios.Where(r => double.IsFinite(r.Ratio)).ToList();
        if (measured.Count == 0)
        {
            return new TargetCheck(name, "not run", null);
        }

        var worst = measured.MinBy(r => r.Ratio);
        string all = string.Join(", ", measured.Select(r => $"{r.What} {Fmt.X(r.Ratio)}"));
        string missed = string.Join(", ", measured.Where(r => r.Ratio < required).Select(r => $"{Fmt.X(required - r.Ratio)} on {r.What}"));
        return new TargetCheck(name, $"worst {Fmt.X(worst.Ratio)} ({worst.What}); {all}", worst.Ratio >= required, missed);
    }

    /// <summary>One ratio ≥ <paramref name="required"/> (NaN: not measured).</summary>
    private static TargetCheck AtLeast(string name, string measured, double ratio, double required) =>
        double.IsFinite(ratio)
            ? new TargetCheck(name, measured, ratio >= required, Fmt.X(required - ratio))
            : new TargetCheck(name, measured, null);

    private static string Errors(string? before, string? relay) =>
        before is null && relay is null ? "" : $"; errors: earlier build {before ?? "none"}, relay {relay ?? "none"}";

    private static string Bytes(double difference) => (difference >= 0 ? "+" : "−") + Fmt.N0(Math.Abs(difference)) + " B";

    private static IEnumerable<string> ScenarioNames(HarnessResults results, Func<Scenario, bool> kind) =>
        Scenarios.All.Where(kind).Select(s => s.Name).Where(n => results.Runs.Any(r => r.Scenario == n));
}
