namespace AkkaProxy.LoadHarness.Targets;

/// <summary>CPU seconds used in a window, and the peak resident memory in it (summed over the pids), in MiB.</summary>
public readonly record struct ProcessUsage(double CpuSeconds, double PeakRssMiB)
{
    public static ProcessUsage None => new(double.NaN, double.NaN);

    public bool IsMeasured => !double.IsNaN(CpuSeconds);
}
