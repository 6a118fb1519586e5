using System.Diagnostics;

namespace AkkaProxy.LoadHarness.Load;

/// <summary>
/// The clock of one closed-loop run: workers start at <see cref="Start"/>, results count from
/// <see cref="MeasureFrom"/> (after the warm-up), and no request starts after <see cref="MeasureTo"/>.
/// Stopwatch timestamps.
/// </summary>
public readonly record struct LoadPhases(long Start, long MeasureFrom, long MeasureTo)
{
    public static LoadPhases From(TimeSpan warmup, TimeSpan measure)
    {
        long now = Stopwatch.GetTimestamp();
        long from = now + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        return new LoadPhases(now, from, from + (long)(measure.TotalSeconds * Stopwatch.Frequency));
    }

    public double MeasuredSeconds => (MeasureTo - MeasureFrom) / (double)Stopwatch.Frequency;

    public TimeSpan UntilMeasureFrom => Until(MeasureFrom);

    public TimeSpan UntilMeasureTo => Until(MeasureTo);

    private static TimeSpan Until(long timestamp) =>
        TimeSpan.FromSeconds(Math.Max(0, (timestamp - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency));
}
