using System.Runtime.InteropServices;

namespace AkkaProxy.LoadHarness.Load;

/// <summary>
/// One worker's measured requests: total latency and time to first byte, in Stopwatch ticks.
/// Bounded: past <see cref="Capacity"/> results are still counted, not kept.
/// </summary>
public sealed class LatencyLog
{
    public const int Capacity = 1 << 20;

    private readonly List<long> _total = new(1024);
    private readonly List<long> _firstByte = new(1024);

    public long Completed { get; private set; }

    public long Errors { get; private set; }

    public long Events { get; private set; }

    public string? FirstError { get; private set; }

    public void Add(long total, long firstByte, int events)
    {
        Completed++;
        Events += events;
        if (_total.Count < Capacity)
        {
            _total.Add(total);
            _firstByte.Add(firstByte);
        }
    }

    public void AddError(string what)
    {
        Errors++;
        FirstError ??= what;
    }

    public ReadOnlySpan<long> Totals => CollectionsMarshal.AsSpan(_total);

    public ReadOnlySpan<long> FirstBytes => CollectionsMarshal.AsSpan(_firstByte);
}
