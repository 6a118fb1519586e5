namespace AkkaProxy.LoadHarness.Results;

/// <summary>
/// A fresh relay's resident memory before and after <see cref="Opened"/> client sockets were opened and
/// had one turn each (so each also holds its upstream socket), each read after an induced full GC and
/// <see cref="SettleSeconds"/> idle; and the managed heap's size after those GCs.
/// </summary>
public sealed record IdleSocketFigures(int Sockets, int Opened, int TurnsOk, double RssBeforeMiB, double RssAfterMiB, double RssAfterCloseMiB, long? HeapBefore, long? HeapAfter, double SettleSeconds)
{
    public double PerSocketKiB => Opened > 0 ? (RssAfterMiB - RssBeforeMiB) * 1024 / Opened : double.NaN;

    /// <summary>Managed heap after a full GC, per socket (null when the heap could not be read).</summary>
    public double? HeapPerSocketKiB => Opened > 0 && HeapBefore is long before && HeapAfter is long after ? (after - before) / 1024.0 / Opened : null;
}
