using System.Threading.Channels;
using AkkaProxy.Pipeline.Transport;

namespace AkkaProxy.Pipeline.Tests.Transport;

/// <summary>The upstream socket's read buffer: many small reads from one read of the connection, a zero-byte read that sees buffered bytes, no buffer while idle.</summary>
public sealed class PooledReadStreamTests
{
    [Fact]
    public async Task SmallReads_AreServedFromOneReadOfTheConnection_AndTheBufferGoesOnceTaken()
    {
        var connection = new ChunkedConnection();
        var stream = new PooledReadStream(connection);
        connection.Arrive([1, 2, 3, 4, 5, 6, 7]);

        var two = new byte[2];
        var got = new List<byte>();
        while (got.Count < 7)
        {
            int read = await stream.ReadAsync(two);
            got.AddRange(two.AsSpan(0, read).ToArray());
            Assert.Equal(got.Count < 7, stream.HoldsBuffer);
        }

        Assert.Equal([1, 2, 3, 4, 5, 6, 7], got);
        Assert.Equal(1, connection.Reads); // four reads of the caller, one of the connection
        Assert.False(stream.HoldsBuffer); // idle again: nothing kept
    }

    [Fact]
    public async Task AZeroByteRead_ReturnsAtOnce_WhenBytesAreBuffered_AndWaitsForTheConnectionOtherwise()
    {
        var connection = new ChunkedConnection();
        var stream = new PooledReadStream(connection);
        ValueTask<int> waiting = stream.ReadAsync(Memory<byte>.Empty);
        Assert.False(waiting.IsCompleted); // nothing has arrived: it waits, holding no buffer
        Assert.False(stream.HoldsBuffer);

        connection.Arrive([9, 8, 7]);
        Assert.Equal(0, await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        var one = new byte[1];
        Assert.Equal(1, await stream.ReadAsync(one));

        ValueTask<int> buffered = stream.ReadAsync(Memory<byte>.Empty); // two bytes are here already
        Assert.True(buffered.IsCompleted);
        Assert.Equal(2, await stream.ReadAsync(new byte[8]));
    }

    [Fact]
    public async Task ALargeRead_GoesStraightToTheConnection_AndTheEndIsTheEnd()
    {
        var connection = new ChunkedConnection();
        var stream = new PooledReadStream(connection, bufferBytes: 16);
        connection.Arrive(new byte[40]);

        Assert.Equal(40, await stream.ReadAsync(new byte[64]));
        Assert.False(stream.HoldsBuffer);
        connection.End();
        Assert.Equal(0, await stream.ReadAsync(new byte[4]));
    }

    /// <summary>A connection whose bytes arrive in chunks; a zero-byte read waits for the next chunk, as a socket's does.</summary>
    private sealed class ChunkedConnection : Stream
    {
        private readonly Channel<byte[]> _chunks = Channel.CreateUnbounded<byte[]>();
        private byte[]? _current;
        private int _offset;

        public int Reads { get; private set; }

        public void Arrive(byte[] chunk) => _chunks.Writer.TryWrite(chunk);

        public void End() => _chunks.Writer.Complete();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_current is null && !await _chunks.Reader.WaitToReadAsync(cancellationToken))
            {
                return 0;
            }

            if (buffer.IsEmpty)
            {
                return 0;
            }

            Reads++;
            _current ??= await _chunks.Reader.ReadAsync(cancellationToken);
            int n = Math.Min(buffer.Length, _current.Length - _offset);
            _current.AsSpan(_offset, n).CopyTo(buffer.Span);
            _offset += n;
            if (_offset == _current.Length)
            {
                (_current, _offset) = (null, 0);
            }

            return n;
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
