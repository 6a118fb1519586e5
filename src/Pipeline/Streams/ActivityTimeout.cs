namespace AkkaProxy.Pipeline.Streams;

/// <summary>
/// A cancellation token that fires after a period with no activity. Every read and write calls
/// <see cref="Touch"/>; the total length of a stream is never capped.
/// </summary>
/// <remarks>
/// <see cref="Touch"/> only records the time: it runs on every read and every write of every stream,
/// and re-arming a timer there took the timer queue's lock once per event. The timer fires at the
/// earliest possible deadline; if there was activity since, it re-arms itself for what is left, so
/// the token still fires one full timeout after the last activity.
/// </remarks>
internal sealed class ActivityTimeout : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly TimeProvider _time;
    private readonly ITimer _timer;
    private readonly Lock _gate = new();
    private long _lastActivity;
    private TimeSpan _timeout;
    private bool _disposed;

    /// <summary>Starts the timer.</summary>
    public ActivityTimeout(TimeSpan timeout, TimeProvider time)
    {
        _time = time;
        _timeout = timeout;
        _lastActivity = time.GetTimestamp();
        _timer = time.CreateTimer(static state => ((ActivityTimeout)state!).OnDeadline(), this, timeout, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Fires when the timeout elapses with no <see cref="Touch"/>.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>Whether the timeout has fired.</summary>
    public bool HasExpired => _source.IsCancellationRequested;

    /// <summary>Records activity: the timeout starts again.</summary>
    public void Touch() => Volatile.Write(ref _lastActivity, _time.GetTimestamp());

    /// <summary>Changes the timeout (for example from the connect phase to the idle phase) and re-arms it.</summary>
    public void Reset(TimeSpan timeout)
    {
        lock (_gate)
        {
            _timeout = timeout;
            Touch();
            if (!_disposed && !_source.IsCancellationRequested)
            {
                _timer.Change(timeout, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _timer.Dispose();
        }

        _source.Dispose();
    }

    private void OnDeadline()
    {
        lock (_gate)
        {
            if (_disposed || _source.IsCancellationRequested)
            {
                return;
            }

            TimeSpan left = _timeout - _time.GetElapsedTime(Volatile.Read(ref _lastActivity));
            if (left > TimeSpan.Zero)
            {
                _timer.Change(left, Timeout.InfiniteTimeSpan);
                return;
            }
        }

        try
        {
            _source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Disposed while the deadline fired: nobody is listening any more.
        }
    }
}
