using System.Threading.Channels;
using AkkaProxy.Pipeline.Billing;

namespace AkkaProxy.Hosting.Billing;

/// <summary>
/// One subscriber of <see cref="LiveRecordsSink"/>: its bounded buffer of records and the count of
/// those dropped because the buffer was full. One reader; disposing it unsubscribes and ends
/// <see cref="Records"/>.
/// </summary>
internal sealed class LiveSubscription : IDisposable
{
    private readonly Channel<BillingRecord> _buffer;
    private readonly Action<LiveSubscription> _remove;
    private long _dropped;

    internal LiveSubscription(int capacity, Action<LiveSubscription> remove)
    {
        _buffer = Channel.CreateBounded<BillingRecord>(new BoundedChannelOptions(Math.Max(1, capacity))
        {
            SingleReader = true,
            SingleWriter = false, // the billing actor writes; Dispose completes from the page's request
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails instead of evicting, and the record is counted as dropped
        });
        _remove = remove;
    }

    /// <summary>The records, in billing order; completes when the subscription is disposed.</summary>
    public ChannelReader<BillingRecord> Records => _buffer.Reader;

    /// <summary>Records dropped since the last call (the buffer was full), and resets the count.</summary>
    public long TakeDropped() => Interlocked.Exchange(ref _dropped, 0);

    /// <summary>Unsubscribes; <see cref="Records"/> completes after what it holds.</summary>
    public void Dispose()
    {
        _remove(this);
        _buffer.Writer.TryComplete();
    }

    internal void Offer(BillingRecord record)
    {
        if (!_buffer.Writer.TryWrite(record))
        {
            Interlocked.Increment(ref _dropped);
        }
    }
}
