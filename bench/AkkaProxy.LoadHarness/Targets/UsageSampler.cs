using AkkaProxy.LoadHarness.Load;

namespace AkkaProxy.LoadHarness.Targets;

/// <summary>
/// Samples processes at the edges of a run's measured window: CPU time at both edges (the delta is
/// the window's), and the peak RSS reset at the start and read at the end, so both are per scenario.
/// </summary>
public static class UsageSampler
{
    public static async Task<ProcessUsage> MeasureAsync(Func<IReadOnlyList<int>> pids, LoadPhases phases)
    {
        await Task.Delay(phases.UntilMeasureFrom);
        IReadOnlyList<int> from = pids();
        if (from.Count == 0)
        {
            return ProcessUsage.None;
        }

        var cpu = from.ToDictionary(pid => pid, ProcStats.CpuSeconds);
        foreach (int pid in from)
        {
            ProcStats.ResetPeak(pid);
        }

        await Task.Delay(phases.UntilMeasureTo);
        double seconds = 0, peakKiB = 0;
        foreach (int pid in from)
        {
            seconds += ProcStats.CpuSeconds(pid) - cpu[pid];
            peakKiB += ProcStats.PeakRssKiB(pid);
        }

        return new ProcessUsage(seconds, peakKiB / 1024.0);
    }

    /// <summary>CPU seconds the whole machine was busy in the measured window.</summary>
    public static async Task<double> MachineBusyAsync(LoadPhases phases)
    {
        await Task.Delay(phases.UntilMeasureFrom);
        double from = ProcStats.MachineBusySeconds();
        await Task.Delay(phases.UntilMeasureTo);
        return ProcStats.MachineBusySeconds() - from;
    }

    /// <summary>CPU seconds of <paramref name="pids"/> used while <paramref name="work"/> ran (for runs without phases).</summary>
    public static async Task<(T Result, double CpuSeconds)> CpuDuringAsync<T>(IReadOnlyList<int> pids, Func<Task<T>> work)
    {
        var before = pids.ToDictionary(pid => pid, ProcStats.CpuSeconds);
        T result = await work();
        double seconds = pids.Sum(pid => ProcStats.CpuSeconds(pid) - before[pid]);
        return (result, seconds);
    }
}
