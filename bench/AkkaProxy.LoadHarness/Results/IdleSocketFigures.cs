namespace AkkaProxy.LoadHarness.Results;

/// <summary>
/// A fresh relay's resident memory before and after <see cref="Opened"/> client sockets were opened and
/// had one turn each (so each also holds its upstream socket), each read after an induced full GC and
/// <see cref="SettleSeconds"/> idle; and the managed heap's size after those GCs. <see cref="Target"/>
/// names the build (<c>relay</c>, or <c>relay-before</c> for the earlier one).
/// </summary>
public sealed record IdleSocketFigures(string Target, int Sockets, int Opened, int TurnsOk, double RssBeforeMiB, double RssAfterMiB, double RssAfterCloseMiB, long? HeapBefore, long? HeapAfter, double SettleSeconds)
{
    public double PerSocketKiB => Opened > 0 ? (RssAfterMiB - RssBeforeMiB) * 1024 / Opened : double.NaN;

    /// <summary>Sockets opened in the second round (the same again, after the first round's sockets closed).</summary>
    public int SecondOpened { get; init; }

    /// <summary>RSS with the second round's sockets open, after one turn each and a full GC.</summary>
    public double SecondRssAfterMiB { get; init; } = double.NaN;

    /// <summary>Second round: RSS per socket over the RSS after the first round's sockets closed (pools already grown).</summary>
    public double SecondPerSocketKiB => SecondOpened > 0 ? (SecondRssAfterMiB - RssAfterCloseMiB) * 1024 / SecondOpened : double.NaN;

    /// <summary>Managed heap after a full GC, per socket (null when the heap could not be read).</summary>
    public double? HeapPerSocketKiB => Opened > 0 && HeapBefore is long before && HeapAfter is long after ? (after - before) / 1024.0 / Opened : null;
}
