namespace AkkaProxy.Pipeline.Transport;

/// <summary>
/// A connection's stream with bytes already read from it put back in front: what a server sent right
/// after its upgrade answer, read along with the answer's headers. Reads return those bytes first;
/// everything else goes to the inner stream, which this stream owns.
/// </summary>
internal sealed class PrefixedStream(byte[] prefix, Stream inner) : Stream
{
    private byte[]? _prefix = prefix;
    private int _offset;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    // A zero-byte read waits for data: while bytes of the prefix are unread, there is data already.
    public override int Read(Span<byte> buffer) =>
        buffer.IsEmpty && _prefix is not null ? 0 : TakePrefix(buffer) is > 0 and var taken ? taken : inner.Read(buffer);

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        buffer.IsEmpty && _prefix is not null ? ValueTask.FromResult(0)
        : TakePrefix(buffer.Span) is > 0 and var taken ? ValueTask.FromResult(taken) : inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync() => inner.DisposeAsync();

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
