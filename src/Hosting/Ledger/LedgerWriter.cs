using System.Threading.Channels;
using AkkaProxy.Pipeline.Billing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AkkaProxy.Hosting.Ledger;

/// <summary>
/// Persists billing records in batches, off the data path: the billing actor hands each record over
/// (<see cref="WriteAsync"/>, waiting only when <see cref="LedgerOptions.QueueCapacity"/> records are
/// already waiting), and one loop writes them to the <see cref="ILedgerStore"/>, up to
/// <see cref="LedgerOptions.BatchSize"/> per transaction, a batch at most
/// <see cref="LedgerOptions.FlushInterval"/> after its first record. A batch that fails is written
/// again (inserts are idempotent by request id); on stop, everything handed over is written first.
/// </summary>
/// <remarks>
/// Registered as a hosted service before the actor system's, so it stops after it: the billing
/// drain on shutdown hands its last records over while the writer still runs. A record handed over
/// after the writer stopped is written at once, on the caller's thread.
/// </remarks>
internal sealed class LedgerWriter : IBillingSink, IHostedService
{
    private const int AttemptsWhileStopping = 3;

    private readonly ILedgerStore _store;
    private readonly LedgerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<BillingRecord> _queue;
    private Task _loop = Task.CompletedTask;
    private long _acknowledged;
    private long _handedOver;
    private TaskCompletionSource _written = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _started;
    private string? _lastFailure;
    private readonly CancellationTokenSource _stop = new();
    private volatile bool _stopping;

    /// <summary>Creates the writer; <see cref="StartAsync"/> initializes the store and starts writing.</summary>
    public LedgerWriter(ILedgerStore store, LedgerOptions options, TimeProvider time, ILogger<LedgerWriter> logger)
    {
        options.Validate();
        _store = store;
        _options = options;
        _time = time;
        _logger = logger;
        _queue = Channel.CreateBounded<BillingRecord>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Records the store has committed (each survives the process being killed).</summary>
    public long Acknowledged => Interlocked.Read(ref _acknowledged);

    /// <summary>Whether the store is open and the writer runs.</summary>
    public bool IsStarted => Volatile.Read(ref _started);

    /// <summary>Why the last batch could not be written, or null when the last batch was (the readiness check reads it).</summary>
    public string? LastFailure => Volatile.Read(ref _lastFailure);

    /// <summary>Records handed over and not yet committed.</summary>
    public int QueueDepth => _queue.Reader.Count;

    /// <inheritdoc/>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        _loop = Task.Run(RunAsync, CancellationToken.None);
        Volatile.Write(ref _started, true);
    }

    /// <inheritdoc/>
    public async ValueTask WriteAsync(BillingRecord record, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _handedOver);
        if (_queue.Writer.TryWrite(record))
        {
            return;
        }

        try
        {
            await _queue.Writer.WriteAsync(record, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            // The writer has stopped (a record of a request that ended during shutdown): write it now.
            await WriteBatchAsync([record]).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Completes once the store has committed every record handed over before the call (a key's
    /// limits entity that starts on another node reads them back). Records of a batch that keeps
    /// failing keep it waiting: callers bound the wait.
    /// </summary>
    public async Task WhenWrittenAsync(CancellationToken cancellationToken)
    {
        long target = Interlocked.Read(ref _handedOver);
        while (true)
        {
            Task written = Volatile.Read(ref _written).Task;
            if (Acknowledged >= target)
            {
                return;
            }

            await written.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        _queue.Writer.TryComplete();
        _stop.Cancel(); // a batch's wait ends now: what is queued is written at once
        // Not bounded by the host's token: the store is disposed after this returns, so returning
        // early would lose what is queued. The loop ends on its own: while stopping, a batch gets
        // a few attempts, not an unbounded number.
        await _loop.ConfigureAwait(false);
    }

    /// <summary>
    /// Wakes once per batch, not once per record: after the first record of a batch it waits out the
    /// flush interval (unless a full batch is already waiting), then writes everything waiting, a
    /// batch at a time.
    /// </summary>
    private async Task RunAsync()
    {
        var batch = new List<BillingRecord>(_options.BatchSize);
        ChannelReader<BillingRecord> reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            if (reader.Count < _options.BatchSize && !_stopping)
            {
                await PauseAsync(_options.FlushInterval).ConfigureAwait(false);
            }

            do
            {
                Fill(reader, batch);
                if (batch.Count > 0)
                {
                    await WriteBatchAsync(batch).ConfigureAwait(false);
                    batch.Clear();
                }
            }
            while (reader.Count >= _options.BatchSize);
        }
    }

    /// <summary>Waits on the relay's clock; stopping ends the wait at once.</summary>
    private async Task PauseAsync(TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _time, _stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Stopping: go on at once.
        }
    }

    /// <summary>Told after each batch the store committed: its records and how long the write took (the metrics' ledger write latency).</summary>
    internal Action<int, TimeSpan>? BatchWritten { get; set; }

    private void Fill(ChannelReader<BillingRecord> reader, List<BillingRecord> batch)
    {
        while (batch.Count < _options.BatchSize && reader.TryRead(out BillingRecord? record))
        {
            batch.Add(record);
        }
    }

    /// <summary>Writes until the store takes the batch; while stopping, gives up after a few attempts (the records are in the log).</summary>
    private async Task WriteBatchAsync(IReadOnlyList<BillingRecord> batch)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                long started = _time.GetTimestamp();
                await _store.WriteAsync(batch, CancellationToken.None).ConfigureAwait(false);
                BatchWritten?.Invoke(batch.Count, _time.GetElapsedTime(started)); // before it counts as acknowledged
                Interlocked.Add(ref _acknowledged, batch.Count);
                Interlocked.Exchange(ref _written, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
                Volatile.Write(ref _lastFailure, null);
                return;
            }
            catch (Exception ex)
            {
                Volatile.Write(ref _lastFailure, ex.GetType().Name + ": " + ex.Message);
                if (_stopping && attempt >= AttemptsWhileStopping)
                {
                    _logger.LogError(ex, "The usage ledger could not write {Count} billing records while stopping; they are only in the log.", batch.Count);
                    return;
                }

                _logger.LogWarning(ex, "The usage ledger could not write a batch of {Count} records (attempt {Attempt}); retrying.", batch.Count, attempt);
                if (_stopping)
                {
                    await Task.Delay(_options.RetryDelay, _time).ConfigureAwait(false); // a real pause, even while stopping
                }
                else
                {
                    await PauseAsync(_options.RetryDelay).ConfigureAwait(false);
                }
            }
        }
    }
}
