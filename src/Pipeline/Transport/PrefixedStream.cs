namespace AkkaProxy.Pipeline.Transport;

/// <summary>
/// A connection's stream with bytes already read from it put back in front: what a server sent right
/// after its upgrade answer, read along with the answer's headers. Reads return those bytes first;
/// everything else goes to the inner stream, which this stream owns.
/// </summary>
internal sealed class PrefixedStream(byte[] prefix, Stream inner) : ReadWrappingStream(inner)
{
    private byte[]? _prefix = prefix;
    private int _offset;

    // A zero-byte read waits for data: while bytes of the prefix are unread, there is data already.
    public override int Read(Span<byte> buffer) =>
        buffer.IsEmpty && _prefix is not null ? 0 : TakePrefix(buffer) is > 0 and var taken ? taken : Inner.Read(buffer);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        buffer.IsEmpty && _prefix is not null ? ValueTask.FromResult(0)
        : TakePrefix(buffer.Span) is > 0 and var taken ? ValueTask.FromResult(taken) : Inner.ReadAsync(buffer, cancellationToken);

    private int TakePrefix(Span<byte> buffer)
    {
        if (_prefix is null || buffer.IsEmpty)
        {
            return 0;
        }

        int taken = Math.Min(buffer.Length, _prefix.Length - _offset);
        _prefix.AsSpan(_offset, taken).CopyTo(buffer);
        _offset += taken;
        if (_offset == _prefix.Length)
        {
            _prefix = null; // all given back: the stream keeps nothing of the handshake
        }

        return taken;
    }
}
