using System.Collections.Concurrent;
using System.Diagnostics;
using AkkaProxy.Pipeline.Diagnostics;

namespace AkkaProxy.Host.Tests.TestKit;

/// <summary>
/// A real <see cref="ActivityListener"/> on the relay's source: every span that ended, all data
/// recorded. Listeners are process-wide, so tests pick their own spans out by request id or trace id.
/// </summary>
public sealed class SpanCollector : IDisposable
{
    private readonly ActivityListener _listener;

    public SpanCollector()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == RelayTracing.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = Ended.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>Spans that ended, in the order they ended.</summary>
    public ConcurrentQueue<Activity> Ended { get; } = new();

    /// <summary>The one span of the exchange billed with <paramref name="requestId"/>.</summary>
    public Activity Single(string requestId) =>
        Assert.Single(Ended, span => (string?)span.GetTagItem("akkaproxy.request_id") == requestId);

    public void Dispose() => _listener.Dispose();
}
