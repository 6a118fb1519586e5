using AkkaProxy.LoadHarness.Load;
using AkkaProxy.LoadHarness.Targets;

namespace AkkaProxy.LoadHarness.Results;

/// <summary>
/// One scenario at one concurrency against one target: what the clients saw, and what the middle
/// process, the fake and the load generator used; <paramref name="MachineBusySeconds"/> is the whole
/// machine's busy CPU time in the window, so what else ran shows; <paramref name="AllocatedBytes"/> is
/// what a .NET middle process allocated in the window (null for the others).
/// </summary>
public sealed record RunFigures(string Scenario, int Concurrency, string Target, LoadResult Load, ProcessUsage Server, ProcessUsage Fake, ProcessUsage Client, double MachineBusySeconds, long? AllocatedBytes)
{
    /// <summary>Bytes the middle process allocated per request (WebSocket: per turn) completed in the window; NaN when not measured.</summary>
    public double AllocatedPerRequest => AllocatedBytes is long bytes && Load.Completed > 0 ? bytes / (double)Load.Completed : double.NaN;

    /// <summary>CPU seconds used in the window by anything but the middle process, the fake and the load generator (other processes, and kernel work charged to no process).</summary>
    public double OtherCpuSeconds => MachineBusySeconds - (Server.IsMeasured ? Server.CpuSeconds : 0) - Fake.CpuSeconds - Client.CpuSeconds;

    /// <summary>Share of the machine (all CPUs) the other work took.</summary>
    public double OtherShare => Load.Seconds > 0 ? OtherCpuSeconds / (Load.Seconds * Environment.ProcessorCount) : double.NaN;
}
