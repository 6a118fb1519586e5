using System.IO.Pipelines;
using System.Text;
using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Streams;
using AkkaProxy.Pipeline.Tests.TestKit;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Tests.Streams;

/// <summary>The idle timeout, on a manual clock: it fires only after a full period without activity.</summary>
public sealed class ActivityTimeoutTests
{
    [Fact]
    public void FiresAfterTheTimeoutWithoutActivity()
    {
        var clock = new ManualTimeProvider();
        using var timeout = new ActivityTimeout(TimeSpan.FromSeconds(10), clock);

        clock.Advance(TimeSpan.FromSeconds(9));
        Assert.False(timeout.HasExpired);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(timeout.HasExpired);
    }

    [Fact]
    public void EveryTouchStartsTheTimeoutAgain_SoAStreamsTotalLengthIsNeverCapped()
    {
        var clock = new ManualTimeProvider();
        using var timeout = new ActivityTimeout(TimeSpan.FromSeconds(10), clock);

        for (int i = 0; i < 100; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(9));
            timeout.Touch();
        }

        Assert.False(timeout.HasExpired);
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.True(timeout.HasExpired);
    }

    [Fact]
    public async Task PumpTouchesOnEveryRead_AndASilentUpstreamIsCancelled()
    {
        var clock = new ManualTimeProvider();
        using var timeout = new ActivityTimeout(TimeSpan.FromSeconds(10), clock);
        var upstream = new Pipe();
        var client = new Pipe();
        ProxyRun run = new ProxyStreamBuilder().Build().CreateRun(Exchanges.Create(ApiKind.Responses, "{}", streaming: true));
        Task<PumpResult> pump = run.PumpAsync(upstream.Reader, client.Writer, FrameKind.SseEvent, timeout, clock, timeout.Token);

        for (int i = 0; i < 5; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(8));
            await upstream.Writer.WriteAsync(Encoding.UTF8.GetBytes(": keep-alive\n\n"));
            await WaitForBytesAsync(client.Reader);
        }

        Assert.False(pump.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(10));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pump.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.True(timeout.HasExpired);
    }

    private static async Task WaitForBytesAsync(PipeReader reader)
    {
        ReadResult read = await reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20));
        reader.AdvanceTo(read.Buffer.End);
    }
}
