using System.Diagnostics.Tracing;
using AkkaProxy.LoadHarness.Load;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace AkkaProxy.LoadHarness.Targets;

/// <summary>
/// Bytes a .NET process allocated in a run's measured window, read from outside: an EventPipe session
/// with the runtime's GC keyword at Verbose level, open from the window's start to its end, sums the
/// <c>GCAllocationTick</c> events (the runtime raises one each time a heap's allocations pass about
/// 100 KB, carrying the amount since the last). So the figure is exact to within about 100 KB per
/// GC heap, a few bytes per request over thousands of requests; the session itself costs the
/// process one event per 100 KB and the GC's own events.
/// </summary>
public static class AllocationSampler
{
    private const long GcKeyword = 0x1;

    /// <summary>Bytes allocated by the process in the window; null when it could not be read (or there is no single process).</summary>
    public static async Task<long?> MeasureAsync(Func<IReadOnlyList<int>> pids, LoadPhases phases)
    {
        await Task.Delay(phases.UntilMeasureFrom);
        if (pids() is not [int pid])
        {
            return null;
        }

        try
        {
            var client = new DiagnosticsClient(pid);
            EventPipeProvider[] providers = [new("Microsoft-Windows-DotNETRuntime", EventLevel.Verbose, GcKeyword)];
            using EventPipeSession session = client.StartEventPipeSession(providers, requestRundown: false, circularBufferMB: 16);
            long bytes = 0;
            Task reading = Task.Run(() =>
            {
                using var source = new EventPipeEventSource(session.EventStream);
                source.Clr.GCAllocationTick += (GCAllocationTickTraceData tick) => Interlocked.Add(ref bytes, tick.AllocationAmount64);
                source.Process();
            });
            await Task.Delay(phases.UntilMeasureTo);
            await session.StopAsync(CancellationToken.None);
            if (await Task.WhenAny(reading, Task.Delay(TimeSpan.FromSeconds(5))) != reading)
            {
                return null;
            }

            return Interlocked.Read(ref bytes);
        }
        catch (Exception ex) when (ex is ServerNotAvailableException or UnsupportedCommandException or IOException or TimeoutException or EndOfStreamException)
        {
            Console.Error.WriteLine($"Could not read the allocations of process {pid}: {ex.Message}");
            return null;
        }
    }
}
