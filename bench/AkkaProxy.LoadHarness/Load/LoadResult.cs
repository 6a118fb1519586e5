using System.Diagnostics;

namespace AkkaProxy.LoadHarness.Load;

/// <summary>
/// What the clients measured in the window: requests (or turns) completed, errors, events, and the
/// latency distribution. Percentiles are nearest-rank over every kept sample.
/// </summary>
public sealed record LoadResult(long Completed, long Errors, long Events, double Seconds, double P50Ms, double P99Ms, double TtfbP50Ms, double TtfbP99Ms, string? FirstError)
{
    public double PerSecond => Seconds > 0 ? Completed / Seconds : 0;

    public double EventsPerSecond => Seconds > 0 ? Events / Seconds : 0;

    public static LoadResult From(IReadOnlyList<LatencyLog> logs, double seconds)
    {
        long completed = 0, errors = 0, events = 0;
        int kept = 0;
        foreach (LatencyLog log in logs)
        {
            completed += log.Completed;
            errors += log.Errors;
            events += log.Events;
            kept += log.Totals.Length;
        }

        long[] totals = new long[kept];
        long[] firstBytes = new long[kept];
        int at = 0;
        foreach (LatencyLog log in logs)
        {
            log.Totals.CopyTo(totals.AsSpan(at));
            log.FirstBytes.CopyTo(firstBytes.AsSpan(at));
            at += log.Totals.Length;
        }

        Array.Sort(totals);
        Array.Sort(firstBytes);
        string? firstError = logs.Select(l => l.FirstError).FirstOrDefault(e => e is not null);
        return new LoadResult(completed, errors, events, seconds,
            Percentile(totals, 0.50), Percentile(totals, 0.99), Percentile(firstBytes, 0.50), Percentile(firstBytes, 0.99), firstError);
    }

    private static double Percentile(long[] sorted, double q)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        int rank = (int)Math.Ceiling(q * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)] * 1000.0 / Stopwatch.Frequency;
    }
}
