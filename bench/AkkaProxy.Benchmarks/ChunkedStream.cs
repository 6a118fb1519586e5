namespace AkkaProxy.Benchmarks;

/// <summary>
/// A read-only stream over a byte array that hands out at most one "network chunk" per read, with
/// chunk sizes taken in turn from a fixed list, like an HTTP response body arriving in TCP reads.
/// Reads complete synchronously, so the benchmark measures the relay's work, not a scheduler.
/// </summary>
public sealed class ChunkedStream(byte[] data, int[] chunkSizes) : Stream
{
    private int _position;
    private int _chunk;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => data.Length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    /// <summary>Deterministic chunk sizes between <paramref name="min"/> and <paramref name="max"/> bytes.</summary>
    public static int[] RandomSizes(int count, int min, int max, int seed = 42)
    {
        var random = new Random(seed);
        var sizes = new int[count];
        for (int i = 0; i < count; i++)
        {
            sizes[i] = random.Next(min, max + 1);
        }

        return sizes;
    }

    public override int Read(Span<byte> buffer)
    {
        int n = Math.Min(Math.Min(chunkSizes[_chunk], data.Length - _position), buffer.Length);
        _chunk = (_chunk + 1) % chunkSizes.Length;
        data.AsSpan(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
