using System.Collections.Concurrent;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Usage;
using Microsoft.Extensions.Logging;

namespace AkkaProxy.Pipeline.Tests.Billing;

internal static class BillingRecords
{
    public static BillingRecord Record(int i) => new()
    {
        RequestId = $"req_{i}",
        Api = ApiKind.ChatCompletions,
        Provider = "p",
        RequestedModel = "p/m",
        UpstreamModel = "m",
        Streaming = false,
        Usage = TokenUsage.Missing,
        Outcome = ExchangeOutcome.Completed,
        EndedBy = EndedBy.Upstream,
        StartedAt = DateTimeOffset.UnixEpoch,
        Duration = TimeSpan.Zero,
    };

    public static IEnumerable<string> Ids(int count) => Enumerable.Range(0, count).Select(i => $"req_{i}");
}

internal sealed class ThrowingSink : IBillingSink
{
    public ValueTask WriteAsync(BillingRecord record, CancellationToken cancellationToken) => throw new IOException("sink down");
}

/// <summary>
/// Records what it is given; optionally holds every call until <see cref="Open"/>; counts how many calls
/// were inside it at once; lets a test wait for a number of records without polling.
/// </summary>
internal sealed class ProbeSink(bool gated = false) : IBillingSink
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<string> _ids = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource> _counts = new();
    private int _inFlight;
    private int _maxInFlight;

    /// <summary>Completes when the first call is inside the sink.</summary>
    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<string> Ids => [.. _ids];

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>A check run inside each call; its results, in call order.</summary>
    public Func<bool>? Observe { get; init; }

    public ConcurrentQueue<bool> Observed { get; } = new();

    public void Open() => _gate.TrySetResult();

    public Task WaitForCountAsync(int count)
    {
        Task waiting = _counts.GetOrAdd(count, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        if (_ids.Count >= count)
        {
            _counts[count].TrySetResult();
        }

        return waiting.WaitAsync(TimeSpan.FromSeconds(20));
    }

    public async ValueTask WriteAsync(BillingRecord record, CancellationToken cancellationToken)
    {
        int now = Interlocked.Increment(ref _inFlight);
        int seen;
        while ((seen = Volatile.Read(ref _maxInFlight)) < now && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen)
        {
        }

        Entered.TrySetResult();
        if (gated)
        {
            await _gate.Task;
        }
        else
        {
            await Task.Yield(); // leave the sink open across an await, so an overlapping call would be seen
        }

        if (Observe is not null)
        {
            Observed.Enqueue(Observe());
        }

        _ids.Enqueue(record.RequestId);
        Interlocked.Decrement(ref _inFlight);
        foreach ((int count, TaskCompletionSource done) in _counts)
        {
            if (_ids.Count >= count)
            {
                done.TrySetResult();
            }
        }
    }
}

/// <summary>Keeps every log entry: level, message and exception.</summary>
internal sealed class ListLogger<T> : ILogger<T>
{
    public ConcurrentQueue<(LogLevel Level, string Message, Exception? Exception)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((logLevel, formatter(state, exception), exception));
}
