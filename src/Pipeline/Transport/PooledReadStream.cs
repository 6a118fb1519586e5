using System.Buffers;

namespace AkkaProxy.Pipeline.Transport;

/// <summary>
/// A connection's stream with a read buffer that exists only while it holds unread bytes. A WebSocket
/// reads a frame's header in small reads; straight on a socket each is a system call. This stream
/// waits for data with a zero-byte read (no buffer while the connection is idle, which is most of a
/// relayed socket's life), then rents a buffer, fills it with what has arrived in one read, serves the
/// small reads from it, and gives it back to the pool once they have taken it all.
/// </summary>
/// <remarks>
/// One reader at a time (a WebSocket's receives are serialized); writes go straight to the inner stream,
/// which this stream owns. A buffer still held when the stream is disposed is left to the collector, not
/// returned: a read racing the dispose could still be copying from it, and an array returned twice is
/// handed to two renters.
/// </remarks>
internal sealed class PooledReadStream(Stream inner, int bufferBytes = 4096) : ReadWrappingStream(inner)
{
    private byte[]? _buffer;
    private int _start;
    private int _end;

    /// <summary>Whether the stream holds a rented buffer now (unread bytes); for specs.</summary>
    internal bool HoldsBuffer => _buffer is not null;

    public override ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (destination.IsEmpty)
        {
            // A zero-byte read waits for data (bytes held here are data already). Passed on as it is, not
            // awaited here: an idle socket waits in this read, and an async method's box would be kept by it.
            return _buffer is null ? Inner.ReadAsync(destination, cancellationToken) : new ValueTask<int>(0);
        }

        if (_buffer is not null)
        {
            return new ValueTask<int>(Take(destination.Span));
        }

        // A large read needs no buffer; a small one fills one first.
        return destination.Length >= bufferBytes ? Inner.ReadAsync(destination, cancellationToken) : FillAndTakeAsync(destination, cancellationToken);
    }

    private async ValueTask<int> FillAndTakeAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        await Inner.ReadAsync(Memory<byte>.Empty, cancellationToken).ConfigureAwait(false); // wait for data, holding nothing
        byte[] rented = ArrayPool<byte>.Shared.Rent(bufferBytes);
        int read;
        try
        {
            read = await Inner.ReadAsync(rented, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(rented);
            throw;
        }

        if (read == 0)
        {
            ArrayPool<byte>.Shared.Return(rented);
            return 0; // the end of the stream
        }

        (_buffer, _start, _end) = (rented, 0, read);
        return Take(destination.Span);
    }

    /// <summary>Copies buffered bytes out; the buffer goes back to the pool once all are taken.</summary>
    private int Take(Span<byte> destination)
    {
        int taken = Math.Min(destination.Length, _end - _start);
        _buffer.AsSpan(_start, taken).CopyTo(destination);
        _start += taken;
        if (_start == _end)
        {
            ArrayPool<byte>.Shared.Return(_buffer!);
            _buffer = null;
        }

        return taken;
    }

    // Synchronous reads are served from the buffer while it holds bytes, else straight from the connection
    // (a WebSocket reads asynchronously; this is only for completeness).
    public override int Read(Span<byte> destination) =>
        _buffer is null ? Inner.Read(destination) : destination.IsEmpty ? 0 : Take(destination);
}
