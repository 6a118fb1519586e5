using AkkaProxy.Pipeline.Stages;

namespace AkkaProxy.Pipeline.Streams;

/// <summary>
/// One exchange's request on its way through the request side of its connection's graph: the element of
/// that side (one per exchange, never reused, so it is safe wherever a flow keeps it), and how its handler
/// learns that the request stages are done (<see cref="Done"/>), or which one refused it.
/// </summary>
internal sealed class RequestBinding(ProxyRun run)
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ProxyRun Run { get; } = run;

    public ProxyExchange Exchange => Run.Exchange;

    /// <summary>Completes when the request has passed every request stage; faults with what a stage threw.</summary>
    public Task Done => _done.Task;

    /// <summary>Whether the request has left the request side (passed, refused, or failed with the graph).</summary>
    public bool IsDone => _done.Task.IsCompleted;

    public void Pass() => _done.TrySetResult();

    public void Fail(Exception failure) => _done.TrySetException(failure);
}
