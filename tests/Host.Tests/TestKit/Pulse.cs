namespace AkkaProxy.Host.Tests.TestKit;

/// <summary>
/// Wakes whoever waits whenever some observed state changes, so a test waits for a condition on
/// events instead of polling on a timer. Each <see cref="Signal"/> wakes every waiter, which then
/// re-checks its condition; no signal is lost between the check and the wait.
/// </summary>
public sealed class Pulse
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Some observed state changed.</summary>
    public void Signal() =>
        Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Returns once <paramref name="condition"/> holds; re-checked at every signal. The bound is a failure limit, not a timing assertion.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? bound = null)
    {
        using var cts = new CancellationTokenSource(bound ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            Task next = Volatile.Read(ref _next).Task; // taken before the check: a signal after the check still wakes us
            if (condition())
            {
                return;
            }

            try
            {
                await next.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Still waiting: {what}");
            }
        }
    }
}
