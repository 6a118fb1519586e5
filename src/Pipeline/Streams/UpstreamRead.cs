using System.Buffers;

namespace AkkaProxy.Pipeline.Streams;

/// <summary>
/// The element from the source to the frame decoder: one read of the upstream body, lent until the
/// decoder pulls again. The source makes one per connection and reuses it: the graph holds one
/// element in flight at a time, so the decoder has finished with a read before the next one exists.
/// </summary>
internal sealed class UpstreamRead
{
    public ExchangeBinding Binding { get; private set; } = null!;

    /// <summary>The bytes read and not yet consumed.</summary>
    public ReadOnlySequence<byte> Buffer { get; private set; }

    /// <summary>Whether the upstream body has ended after <see cref="Buffer"/>.</summary>
    public bool IsCompleted { get; private set; }

    /// <summary>Set when the exchange's reading ended: a read failure, or the client ended the exchange first.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>Whether this read carries no bytes, only the end of the exchange (the client ended it first).</summary>
    public bool IsAbandoned { get; private set; }

    /// <summary>Where the decoder stopped: the source advances the reader to it before reading again.</summary>
    public SequencePosition Consumed { get; set; }

    /// <summary>How far the decoder looked.</summary>
    public SequencePosition Examined { get; set; }

    /// <summary>Set by the decoder once it ended the exchange: the source must not touch this exchange's reader again.</summary>
    public bool ExchangeEnded { get; set; }

    public UpstreamRead Bytes(ExchangeBinding binding, ReadOnlySequence<byte> buffer, bool isCompleted)
    {
        Reset(binding);
        Buffer = buffer;
        IsCompleted = isCompleted;
        Consumed = buffer.Start;
        Examined = buffer.Start;
        return this;
    }

    public UpstreamRead Failed(ExchangeBinding binding, Exception failure)
    {
        Reset(binding);
        Failure = failure;
        return this;
    }

    public UpstreamRead Abandoned(ExchangeBinding binding)
    {
        Reset(binding);
        IsAbandoned = true;
        return this;
    }

    private void Reset(ExchangeBinding binding)
    {
        Binding = binding;
        Buffer = default;
        IsCompleted = false;
        Failure = null;
        IsAbandoned = false;
        ExchangeEnded = false;
    }
}
