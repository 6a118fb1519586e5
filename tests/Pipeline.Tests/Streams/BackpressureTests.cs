using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Threading.Channels;
using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Streams;
using AkkaProxy.Pipeline.Tests.TestKit;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Tests.Streams;

/// <summary>A slow client slows the reads from the upstream: the run never buffers without bound.</summary>
public sealed class BackpressureTests
{
    private const int ReadBufferBytes = 4 * 1024;
    private const int ClientPauseBytes = 16 * 1024;
    private const int UpstreamPauseBytes = 64 * 1024;
    private const int UpstreamResumeBytes = 32 * 1024;
    private const int Events = 4_000; // about 3.7 MiB: far more than every buffer in the chain together

    [Fact]
    public async Task ClientThatDoesNotRead_BoundsWhatTheRunTakesFromTheUpstream_ThenEveryByteArrives()
    {
        // The upstream as the relay sees it in production: a Stream behind a PipeReader of a fixed read
        // size. The stream counts every byte the run took; the pipe behind it holds the producer back.
        var upstream = new Pipe(new PipeOptions(pauseWriterThreshold: UpstreamPauseBytes, resumeWriterThreshold: UpstreamResumeBytes, useSynchronizationContext: false));
        var taken = new CountingStream(upstream.Reader.AsStream());
        PipeReader relayReader = PipeReader.Create(taken, new StreamPipeReaderOptions(bufferSize: ReadBufferBytes));
        var client = new Pipe(new PipeOptions(pauseWriterThreshold: ClientPauseBytes, resumeWriterThreshold: ClientPauseBytes / 2, useSynchronizationContext: false));
        var clientWriter = new BlockingFlushProbe(client.Writer);

        ProxyExchange exchange = Exchanges.Create(ApiKind.Responses, "{}", streaming: true);
        ProxyRun run = new ProxyStreamBuilder().Build().CreateRun(exchange);
        Task<PumpResult> pump = run.PumpAsync(relayReader, clientWriter, FrameKind.SseEvent, null, TimeProvider.System, CancellationToken.None);

        // A producer that writes as fast as the pipe lets it, and reports every flush the pipe held back.
        byte[] expected = BuildStream(Events);
        var heldBack = Channel.CreateUnbounded<long>();
        Task producer = ProduceAsync(upstream.Writer, expected, heldBack.Writer);

        // 1. The run is stuck on the client: its flush did not complete, and nobody reads the client.
        await clientWriter.Blocked.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(run.WaitingForClient);
        Assert.False(pump.IsCompleted);

        // 2. The producer is stuck too: a flush was held back with more unread upstream bytes than
        //    the pipe's resume threshold, and the run (stuck on the client) takes no more, so that
        //    flush can never complete. If the run kept reading, the producer would finish instead.
        long stuckAt = -1;
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await foreach (long written in heldBack.Reader.ReadAllAsync(bound.Token))
        {
            if (written - taken.BytesRead >= UpstreamResumeBytes)
            {
                stuckAt = written;
                break;
            }
        }

        Assert.True(stuckAt > 0, $"the upstream was never held back: the run took all {taken.BytesRead} bytes from a client that read nothing");
        long takenWhileStuck = taken.BytesRead;

        // What the run took is what the client pipe holds before it pushes back, plus one read:
        // far less than what the upstream offered.
        Assert.True(takenWhileStuck <= ClientPauseBytes + 2 * ReadBufferBytes, $"the run took {takenWhileStuck} bytes from the upstream for a client that read nothing");
        Assert.True(stuckAt - takenWhileStuck >= UpstreamResumeBytes, $"offered {stuckAt}, taken {takenWhileStuck}");
        Assert.True(run.WaitingForClient);
        Assert.False(pump.IsCompleted);
        Assert.False(producer.IsCompleted);

        // 3. Once the client reads, everything flows, byte for byte.
        Task<byte[]> drain = DrainAsync(client.Reader);
        await producer.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(PumpResult.UpstreamEnded, await pump.WaitAsync(TimeSpan.FromSeconds(20)));
        await client.Writer.CompleteAsync();
        byte[] received = await drain.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(expected.Length, received.Length);
        Assert.True(expected.AsSpan().SequenceEqual(received), "the client's bytes differ from the upstream's");
        Assert.Equal(expected.Length, taken.BytesRead);
    }

    private static byte[] BuildStream(int events)
    {
        var text = new StringBuilder();
        for (int i = 0; i < events; i++)
        {
            text.Append("event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":")
                .Append(i)
                .Append(",\"delta\":\"")
                .Append((char)('a' + (i % 26)), 900)
                .Append("\"}\n\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>Writes <paramref name="bytes"/> one event-sized chunk at a time; reports the bytes written at each held-back flush.</summary>
    private static async Task ProduceAsync(PipeWriter writer, byte[] bytes, ChannelWriter<long> heldBack)
    {
        const int chunk = 1000;
        for (int offset = 0; offset < bytes.Length; offset += chunk)
        {
            int length = Math.Min(chunk, bytes.Length - offset);
            writer.Write(bytes.AsSpan(offset, length));
            ValueTask<FlushResult> flush = writer.FlushAsync();
            if (!flush.IsCompleted)
            {
                heldBack.TryWrite(offset + length);
            }

            await flush;
        }

        await writer.CompleteAsync();
        heldBack.TryComplete();
    }

    private static async Task<byte[]> DrainAsync(PipeReader reader)
    {
        using var received = new MemoryStream();
        while (true)
        {
            ReadResult read = await reader.ReadAsync();
            foreach (ReadOnlyMemory<byte> segment in read.Buffer)
            {
                received.Write(segment.Span);
            }

            reader.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted)
            {
                return received.ToArray();
            }
        }
    }

    /// <summary>A read-only stream that counts the bytes its reader took.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        private long _read;

        public long BytesRead => Interlocked.Read(ref _read);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            int n = await inner.ReadAsync(buffer, cancellationToken);
            Interlocked.Add(ref _read, n);
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>The client's writer; <see cref="Blocked"/> completes at the first flush the client's pipe holds back.</summary>
    private sealed class BlockingFlushProbe(PipeWriter inner) : PipeWriter
    {
        private readonly TaskCompletionSource _blocked = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Blocked => _blocked.Task;

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            ValueTask<FlushResult> flush = inner.FlushAsync(cancellationToken);
            if (!flush.IsCompleted)
            {
                _blocked.TrySetResult();
            }

            return flush;
        }

        public override void Advance(int bytes) => inner.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);
    }
}
