using Akka;
using Akka.Streams;
using Akka.Streams.Dsl;
using AkkaProxy.Pipeline.Streams;

namespace AkkaProxy.Pipeline.Tests.Streams;

/// <summary>
/// A user flow that would hold a reused frame past its push is refused when it is added (an async
/// boundary behind which the decoder's next frame overwrote the one a flow still held gave clients wrong
/// bytes); a flow that passes each element on before the next is pulled is accepted.
/// </summary>
public sealed class UserFlowCheckSpecs
{
    public static TheoryData<string> Holding() =>
    [
        "async", "async-inside-via", "buffer", "detach", "grouped", "sliding", "conflate", "expand", "delay", "grouped-within", "select-async-4",
    ];

    [Theory]
    [MemberData(nameof(Holding))]
    public void AResponseFlowThatHoldsFrames_IsRefused_NamingTheFlowAndWhy(string shape)
    {
        Flow<ProxyFrame, ProxyFrame, NotUsed> flow = Shape<ProxyFrame>(shape);

        ArgumentException refused = Assert.Throws<ArgumentException>(() => new ProxyStreamBuilder().UseFlow(flow, "team-tag"));

        Assert.Equal("flow", refused.ParamName);
        Assert.Contains("'team-tag'", refused.Message, StringComparison.Ordinal);
        Assert.Contains(Why(shape), refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ARequestFlowWithAnAsyncBoundary_IsRefused()
    {
        Flow<ProxyExchange, ProxyExchange, NotUsed> flow = Flow.Create<ProxyExchange>().Select(e => e).Async();

        ArgumentException refused = Assert.Throws<ArgumentException>(() => new ProxyStreamBuilder().UseRequestFlow(flow, "audit"));

        Assert.Contains("'audit'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("async boundary", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FlowsThatPassEachElementOnFirst_AreAccepted()
    {
        var builder = new ProxyStreamBuilder()
            .UseFlow(Flow.Create<ProxyFrame>().Select(f => f).Where(_ => true), "map")
            .UseFlow(Flow.Create<ProxyFrame>().SelectAsync(1, f => Task.FromResult(f)), "one-at-a-time")
            .UseFlow(Flow.Create<ProxyFrame>().Throttle(1000, TimeSpan.FromSeconds(1), 1000, ThrottleMode.Shaping), "throttle")
            .UseRequestFlow(Flow.Create<ProxyExchange>().SelectAsync(1, e => Task.FromResult(e)), "lookup");

        Assert.NotNull(builder.Build());
    }

    private static Flow<T, T, NotUsed> Shape<T>(string shape) => shape switch
    {
        "async" => Flow.Create<T>().Select(x => x).Async(),
        "async-inside-via" => Flow.Create<T>().Select(x => x).Via(Flow.Create<T>().Where(_ => true).Async()).Select(x => x),
        "buffer" => Flow.Create<T>().Buffer(4, OverflowStrategy.Backpressure),
        "detach" => Flow.Create<T>().Detach(),
        "grouped" => Flow.Create<T>().Grouped(2).SelectMany(x => x),
        "sliding" => Flow.Create<T>().Sliding(2).Select(x => x.First()),
        "conflate" => Flow.Create<T>().Conflate((a, _) => a),
        "expand" => Flow.Create<T>().Expand(x => Enumerable.Repeat(x, 1).GetEnumerator()),
        "delay" => Flow.Create<T>().Delay(TimeSpan.FromMilliseconds(1)),
        "grouped-within" => Flow.Create<T>().GroupedWithin(2, TimeSpan.FromMilliseconds(5)).SelectMany(x => x),
        "select-async-4" => Flow.Create<T>().SelectAsync(4, x => Task.FromResult(x)),
        _ => throw new ArgumentOutOfRangeException(nameof(shape)),
    };

    private static string Why(string shape) => shape switch
    {
        "async" or "async-inside-via" => "async boundary",
        "buffer" => "(Buffer)",
        "detach" => "(Detach)",
        "grouped" => "(Grouped)",
        "sliding" => "(Sliding)",
        "conflate" => "(Batch/Conflate)",
        "expand" => "(Expand)",
        "delay" => "(Delay)",
        "grouped-within" => "(GroupedWithin)",
        "select-async-4" => "parallelism 4",
        _ => throw new ArgumentOutOfRangeException(nameof(shape)),
    };
}
