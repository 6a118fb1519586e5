namespace AkkaProxy.Pipeline.Supervision;

/// <summary>
/// A cancellation token that fires after a period with no activity. Every read and write calls
/// <see cref="Touch"/>, which re-arms the timer; the total length of a stream is never capped.
/// </summary>
public sealed class ActivityTimeout : IDisposable
{
    private readonly CancellationTokenSource _source;
    private TimeSpan _timeout;

    /// <summary>Starts the timer.</summary>
    public ActivityTimeout(TimeSpan timeout, TimeProvider time)
    {
        _timeout = timeout;
        _source = new CancellationTokenSource(timeout, time);
    }

    /// <summary>Fires when the timeout elapses with no <see cref="Touch"/>.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>Whether the timeout has fired.</summary>
    public bool HasExpired => _source.IsCancellationRequested;

    /// <summary>Records activity: the timeout starts again.</summary>
    public void Touch() => _source.CancelAfter(_timeout);

    /// <summary>Changes the timeout (for example from the connect phase to the idle phase) and re-arms it.</summary>
    public void Reset(TimeSpan timeout)
    {
        _timeout = timeout;
        Touch();
    }

    /// <inheritdoc />
    public void Dispose() => _source.Dispose();
}
