using System.Buffers;
using System.IO.Pipelines;

namespace AkkaProxy.Pipeline.Tests.TestKit;

/// <summary>
/// One end of an in-memory connection (two pipes), for a real <see cref="System.Net.WebSockets.WebSocket"/>
/// on each end. It counts the reads and writes its socket starts and the bytes they move, and tells a
/// test when a count is reached, so a spec can see what a stage asked of its socket without sleeping.
/// Disposing it (as <c>WebSocket.Abort</c> does) fails a read or write in progress and ends the peer's reads.
/// </summary>
internal sealed class DuplexPipeStream : Stream
{
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private int _disposed;
    private long _bytesRead;
    private long _bytesWritten;

    private DuplexPipeStream(PipeReader input, PipeWriter output)
    {
        _input = input;
        _output = output;
    }

    /// <summary>Reads started, zero-byte reads (a socket waiting for a frame header) included.</summary>
    public Counter Reads { get; } = new();

    /// <summary>Writes started.</summary>
    public Counter Writes { get; } = new();

    /// <summary>Bytes the reads consumed.</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    /// <summary>Bytes handed to writes.</summary>
    public long BytesWritten => Interlocked.Read(ref _bytesWritten);

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>
    /// A connected pair. What <c>first</c> writes waits until <c>second</c> has read all of it (a
    /// write completes once its bytes were taken: a send is done when the peer received it); what
    /// <c>second</c> writes is buffered.
    /// </summary>
    public static (DuplexPipeStream First, DuplexPipeStream Second) CreatePair()
    {
        var firstToSecond = new Pipe(new PipeOptions(pauseWriterThreshold: 1, resumeWriterThreshold: 1, useSynchronizationContext: false));
        var secondToFirst = new Pipe(new PipeOptions(useSynchronizationContext: false));
        return (new DuplexPipeStream(secondToFirst.Reader, firstToSecond.Writer), new DuplexPipeStream(firstToSecond.Reader, secondToFirst.Writer));
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        Reads.Increment();
        ReadResult result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (result.IsCanceled)
        {
            throw new ObjectDisposedException(nameof(DuplexPipeStream), "The connection was aborted during a read.");
        }

        ReadOnlySequence<byte> data = result.Buffer;
        int count = (int)Math.Min(data.Length, buffer.Length);
        data.Slice(0, count).CopyTo(buffer.Span);
        Interlocked.Add(ref _bytesRead, count); // before the advance: a writer it resumes sees the count
        _input.AdvanceTo(data.GetPosition(count), count == 0 ? data.Start : data.GetPosition(count));
        return count;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        Interlocked.Add(ref _bytesWritten, buffer.Length);
        Writes.Increment();
        FlushResult result = await _output.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (result.IsCanceled || result.IsCompleted)
        {
            throw new IOException("The connection was aborted during a write.");
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("async only");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("async only");

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _input.CancelPendingRead();   // a read in progress fails; the reader is left to the collector
            _output.CancelPendingFlush(); // so does a write waiting for the peer
            _output.Complete();           // the peer reads the end of the stream
        }

        base.Dispose(disposing);
    }

    /// <summary>A count that a test can await.</summary>
    internal sealed class Counter
    {
        private readonly List<(int Count, TaskCompletionSource Reached)> _waiters = [];
        private int _value;

        public int Value => Volatile.Read(ref _value);

        /// <summary>Completes once the count is at least <paramref name="count"/>.</summary>
        public Task Reached(int count)
        {
            lock (_waiters)
            {
                if (_value >= count)
                {
                    return Task.CompletedTask;
                }

                var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((count, reached));
                return reached.Task;
            }
        }

        internal void Increment()
        {
            lock (_waiters)
            {
                _value++;
                foreach ((int count, TaskCompletionSource reached) in _waiters.Where(w => w.Count <= _value).ToList())
                {
                    reached.TrySetResult();
                    _waiters.Remove((count, reached));
                }
            }
        }
    }
}
