using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace AkkaProxy.Pipeline.Billing;

/// <summary>
/// Carries billing records from the data path to the sinks through a bounded queue and one
/// background loop. Records are enqueued after the client's response has completed, so a full
/// queue delays only the end of the request handler, never a stream, and no record is dropped.
/// On stop the queue is drained.
/// </summary>
public sealed class BillingDispatcher : IAsyncDisposable
{
    private readonly Channel<BillingRecord> _queue;
    private readonly IReadOnlyList<IBillingSink> _sinks;
    private readonly ILogger _logger;
    private Task? _loop;

    /// <summary>Creates the dispatcher; call <see cref="Start"/> before enqueueing.</summary>
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

    /// <summary>Starts the background loop.</summary>
    public void Start() => _loop ??= Task.Run(LoopAsync);

    /// <summary>
    /// Queues a record; waits only if the queue is full. After <see cref="StopAsync"/> (a request that
    /// finished during shutdown) the record is delivered to the sinks at once instead: never dropped.
    /// </summary>
    public ValueTask EnqueueAsync(BillingRecord record, CancellationToken cancellationToken = default) =>
        _queue.Writer.TryWrite(record) ? ValueTask.CompletedTask : EnqueueSlowAsync(record, cancellationToken);

    private async ValueTask EnqueueSlowAsync(BillingRecord record, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.Writer.WriteAsync(record, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            await DeliverAsync(record).ConfigureAwait(false);
        }
    }

    /// <summary>Stops accepting records and waits until every queued record reached the sinks.</summary>
    public async Task StopAsync()
    {
        _queue.Writer.TryComplete();
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private async Task LoopAsync()
    {
        await foreach (BillingRecord record in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            await DeliverAsync(record).ConfigureAwait(false);
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
