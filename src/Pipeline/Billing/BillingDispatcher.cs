using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace AkkaProxy.Pipeline.Billing;

/// <summary>
/// Carries billing records from the data path to the sinks through a bounded queue and one
/// background loop. Records are enqueued after the client's response has completed, so a full
/// queue delays only the end of the request handler, never a stream, and no record is dropped.
/// </summary>
/// <remarks>
/// The promises hold in every order of calls: the loop starts with <see cref="Start"/> or with the
/// first record, whichever comes first; <see cref="StopAsync"/> delivers everything queued, even if
/// the loop never ran; a record that arrives after it is delivered at once. Sinks are called one
/// record at a time, never concurrently: the loop, a stop and a late record take turns.
/// </remarks>
public sealed class BillingDispatcher : IAsyncDisposable
{
    private readonly Channel<BillingRecord> _queue;
    private readonly IReadOnlyList<IBillingSink> _sinks;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _sinkTurn = new(1, 1);
    private readonly Lock _loopGate = new();
    private Task? _loop;
    private bool _stopped;

    /// <summary>Creates the dispatcher. Its loop starts with <see cref="Start"/> or the first record.</summary>
    public BillingDispatcher(IEnumerable<IBillingSink> sinks, ILogger<BillingDispatcher> logger, int capacity = 10_000)
    {
        _sinks = [.. sinks];
        _logger = logger;
        _queue = Channel.CreateBounded<BillingRecord>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
    }

    /// <summary>Records written to every sink so far.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    private long _delivered;

    /// <summary>Starts the background loop (idempotent; a no-op after <see cref="StopAsync"/>).</summary>
    public void Start()
    {
        lock (_loopGate)
        {
            if (_loop is null && !_stopped)
            {
                _loop = Task.Run(LoopAsync);
            }
        }
    }

    /// <summary>
    /// Queues a record; waits only if the queue is full. After <see cref="StopAsync"/> (a request that
    /// finished during shutdown) the record is delivered to the sinks at once instead: never dropped.
    /// </summary>
    public ValueTask EnqueueAsync(BillingRecord record, CancellationToken cancellationToken = default)
    {
        if (_loop is null)
        {
            Start();
        }

        return _queue.Writer.TryWrite(record) ? ValueTask.CompletedTask : EnqueueSlowAsync(record, cancellationToken);
    }

    private async ValueTask EnqueueSlowAsync(BillingRecord record, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.Writer.WriteAsync(record, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            await DeliverInTurnAsync(record).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stops accepting records and waits until every queued record reached the sinks, including
    /// records queued while the loop had not started.
    /// </summary>
    public async Task StopAsync()
    {
        Task? loop;
        lock (_loopGate)
        {
            _stopped = true;
            loop = _loop;
        }

        _queue.Writer.TryComplete();
        if (loop is not null)
        {
            await loop.ConfigureAwait(false);
        }

        // Whatever the loop did not take (it never started, say) is delivered here, in turn.
        while (_queue.Reader.TryRead(out BillingRecord? record))
        {
            await DeliverInTurnAsync(record).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private async Task LoopAsync()
    {
        await foreach (BillingRecord record in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            await DeliverInTurnAsync(record).ConfigureAwait(false);
        }
    }

    private async Task DeliverInTurnAsync(BillingRecord record)
    {
        await _sinkTurn.WaitAsync().ConfigureAwait(false);
        try
        {
            await DeliverAsync(record).ConfigureAwait(false);
        }
        finally
        {
            _sinkTurn.Release();
        }
    }

    private async Task DeliverAsync(BillingRecord record)
    {
        foreach (IBillingSink sink in _sinks)
        {
            try
            {
                await sink.WriteAsync(record, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "Billing sink {Sink} failed for request {RequestId}; the other sinks still get the record.", sink.GetType().Name, record.RequestId);
            }
        }

        Interlocked.Increment(ref _delivered);
    }
}
