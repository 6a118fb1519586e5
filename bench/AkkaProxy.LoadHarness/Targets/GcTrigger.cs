using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace AkkaProxy.LoadHarness.Targets;

/// <summary>
/// Makes another .NET process run a full, blocking garbage collection, from outside, as
/// <c>dotnet-gcdump</c> does: an EventPipe session with the runtime's <c>GCHeapCollect</c> keyword
/// (0x800000) induces one, and the session's <c>GCHeapStats</c> event gives the managed heap's size
/// after it. Used so memory per idle socket is read from a settled heap, not from whatever garbage
/// the last turns left.
/// </summary>
public static class GcTrigger
{
    private const long GcKeyword = 0x1;
    private const long GcHeapCollectKeyword = 0x800000;

    /// <summary>Induces the GC; returns the managed heap's size after it in bytes, or null if it could not be read.</summary>
    public static async Task<long?> CollectAsync(int pid, TimeSpan wait)
    {
        try
        {
            var client = new DiagnosticsClient(pid);
            EventPipeProvider[] providers = [new("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, GcKeyword | GcHeapCollectKeyword)];
            using EventPipeSession session = client.StartEventPipeSession(providers, requestRundown: false, circularBufferMB: 16);
            long heap = -1;
            Task reading = Task.Run(() =>
            {
                using var source = new EventPipeEventSource(session.EventStream);
                source.Clr.GCHeapStats += (GCHeapStatsTraceData stats) => Interlocked.Exchange(ref heap, stats.TotalHeapSize);
                source.Process();
            });
            await Task.Delay(wait);
            await session.StopAsync(CancellationToken.None);
            await Task.WhenAny(reading, Task.Delay(TimeSpan.FromSeconds(5)));
            long size = Interlocked.Read(ref heap);
            return size >= 0 ? size : null;
        }
        catch (Exception ex) when (ex is ServerNotAvailableException or UnsupportedCommandException or IOException or TimeoutException or EndOfStreamException)
        {
            Console.Error.WriteLine($"Could not induce a GC in process {pid}: {ex.Message}");
            return null;
        }
    }
}
