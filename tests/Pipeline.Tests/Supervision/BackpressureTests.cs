using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Supervision;
using AkkaProxy.Pipeline.Tests.TestKit;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Tests.Supervision;

/// <summary>A slow client slows the reads from the upstream: the run never buffers without bound.</summary>
public sealed class BackpressureTests
{
    [Fact]
    public async Task ClientThatDoesNotRead_StopsTheRunFromReadingTheUpstream()
    {
        var upstream = new Pipe(new PipeOptions(pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024, useSynchronizationContext: false));
        var client = new Pipe(new PipeOptions(pauseWriterThreshold: 16 * 1024, resumeWriterThreshold: 8 * 1024, useSynchronizationContext: false));
        ProxyExchange exchange = Exchanges.Create(ApiKind.Responses, "{}", streaming: true);
        ProxyRun run = new ProxyStreamBuilder().Build().CreateRun(exchange);
        Task<PumpResult> pump = run.PumpAsync(upstream.Reader, client.Writer, FrameKind.SseEvent, null, TimeProvider.System, CancellationToken.None).AsTask();

        byte[] evt = Encoding.UTF8.GetBytes("event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"" + new string('x', 900) + "\"}\n\n");
        long written = 0;
        ValueTask<FlushResult> flush = default;
        while (written < 1024 * 1024)
        {
            upstream.Writer.Write(evt);
            written += evt.Length;
            flush = upstream.Writer.FlushAsync();
            if (!flush.IsCompleted)
            {
                break; // the upstream side is now held back
            }
        }

        Assert.False(flush.IsCompleted, $"the relay kept reading: {written} bytes accepted with an idle client");
        Assert.True(written < 256 * 1024, $"{written} bytes buffered before backpressure");

        // Once the client reads, everything flows and the upstream writer is released.
        Task<long> drain = DrainAsync(client.Reader);
        await flush.AsTask().WaitAsync(TimeSpan.FromSeconds(20));
        await upstream.Writer.CompleteAsync();
        Assert.Equal(PumpResult.UpstreamEnded, await pump.WaitAsync(TimeSpan.FromSeconds(20)));
        await client.Writer.CompleteAsync();
        Assert.Equal(written, await drain.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    private static async Task<long> DrainAsync(PipeReader reader)
    {
        long total = 0;
        while (true)
        {
            ReadResult read = await reader.ReadAsync();
            total += read.Buffer.Length;
            reader.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted)
            {
                return total;
            }
        }
    }
}
