using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using AkkaProxy.Pipeline.Usage;
using Perfolizer.Horology;
using Perfolizer.Metrology;

namespace AkkaProxy.Benchmarks;

/// <summary>Adds the stream-size, throughput and per-event allocation columns; sizes in bytes.</summary>
public sealed class StreamColumnsConfig : ManualConfig
{
    public StreamColumnsConfig()
    {
        AddColumn(
            new StreamColumn(0, "Frames", "SSE events per stream (one operation)", (_, c) => Stream(c).Frames.ToString()),
            new StreamColumn(1, "Bytes", "Bytes per stream", (_, c) => Stream(c).Bytes.Length.ToString()),
            new StreamColumn(2, "MB/s", "Throughput: Bytes / Mean, in 10^6 bytes per second", Throughput),
            new StreamColumn(3, "Alloc/frame", "Allocated / Frames (per-stream fixed cost included)", AllocatedPerFrame),
            new StreamColumn(4, "Slope B/delta", "(Allocated - Allocated at fewest Deltas) / (Deltas - fewest Deltas), same method and Api: the cost of one more delta event", Slope));
        SummaryStyle = SummaryStyle.Default.WithSizeUnit(SizeUnit.B).WithTimeUnit(TimeUnit.Microsecond);
    }

    private static SseStream Stream(BenchmarkCase c) => StreamShapes.Get(Api(c), Deltas(c));

    private static ApiKind Api(BenchmarkCase c) => (ApiKind)c.Parameters["Api"];

    private static int Deltas(BenchmarkCase c) => (int)c.Parameters["Deltas"];

    private static long? Allocated(Summary s, BenchmarkCase c) => s[c]?.GcStats.GetBytesAllocatedPerOperation(c);

    private static string Throughput(Summary s, BenchmarkCase c)
    {
        double? meanNs = s[c]?.ResultStatistics?.Mean;
        return meanNs is > 0 ? (Stream(c).Bytes.Length / meanNs.Value * 1e9 / 1e6).ToString("F1") : "?";
    }

    private static string AllocatedPerFrame(Summary s, BenchmarkCase c) =>
        Allocated(s, c) is long bytes ? ((double)bytes / Stream(c).Frames).ToString("F2") : "?";

    private static string Slope(Summary s, BenchmarkCase c)
    {
        BenchmarkCase? smallest = s.BenchmarksCases
            .Where(o => o.Descriptor == c.Descriptor && Api(o) == Api(c))
            .MinBy(Deltas);
        if (smallest is null || smallest == c || Deltas(smallest) == Deltas(c))
        {
            return "-";
        }

        return Allocated(s, c) is long big && Allocated(s, smallest) is long small
            ? ((double)(big - small) / (Deltas(c) - Deltas(smallest))).ToString("F3")
            : "?";
    }
}

/// <summary>A computed column.</summary>
public sealed class StreamColumn(int order, string name, string legend, Func<Summary, BenchmarkCase, string> value) : IColumn
{
    public string Id => "AkkaProxy." + name;

    public string ColumnName => name;

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => order;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => legend;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => value(summary, benchmarkCase);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => value(summary, benchmarkCase);

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => true;
}
