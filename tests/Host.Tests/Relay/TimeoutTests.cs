using System.Net;
using System.Net.Sockets;
using System.Text;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AkkaProxy.Host.Tests.Relay;

/// <summary>
/// The upstream response timeout (504), the idle timeout mid-stream (silent upstream, stalled client)
/// and a long steady stream that is not cut. The relay's clock is a <see cref="FakeTimeProvider"/>:
/// a timeout fires only when a test moves the clock, and the test moves it only once the relay is
/// known to be waiting where the test means (the fake upstream or a probe says so). What is asserted
/// is the outcome, never how long anything took.
/// </summary>
public sealed class TimeoutTests : RelayTestBase
{
    private static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(30);

    private readonly FakeTimeProvider _clock = new();
    private readonly UpstreamReadProbe _upstreamReads = new();

    protected override string ExtraHocon => "akkaproxy.pipeline { upstream-response-timeout = 20s, idle-timeout = 30s }";

    protected override void ConfigureServices(IServiceCollection services)
    {
        services.AddSingleton<TimeProvider>(_clock);
        _upstreamReads.Register(services);
    }

    [Fact]
    public async Task NoResponseHeadersInTime_Gets504()
    {
        Task<HttpResponseMessage> sent = Relay.Http.SendAsync(Post("/v1/chat/completions", """{"model":"openai/slow-headers","messages":[]}"""));
        // The fake read the whole request and holds its headers: the relay is waiting for them.
        Assert.Equal("slow-headers", await Upstream.HoldingHeaders.Task.WaitAsync(TimeSpan.FromSeconds(20)));

        _clock.Advance(ResponseTimeout);

        using HttpResponseMessage response = await sent.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains("\"code\":\"upstream_timeout\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        BillingRecord record = await Relay.Billing.SingleForAsync("openai/slow-headers");
        Assert.Equal(ExchangeOutcome.UpstreamError, record.Outcome);
        Assert.Equal(EndedBy.IdleTimeout, record.EndedBy);
        Assert.Equal("upstream_timeout", record.ErrorCode);
        Assert.Equal(504, record.HttpStatus);
    }

    [Fact]
    public async Task SilentUpstreamMidStream_EndsWithIdleTimeoutError()
    {
        using HttpResponseMessage response = await Relay.Http.SendAsync(Post("/v1/chat/completions", """{"model":"openai/hang","stream":true,"messages":[]}"""), HttpCompletionOption.ResponseHeadersRead);
        var sse = new SseClient(await response.Content.ReadAsStreamAsync());
        Assert.Equal("hang", await Upstream.Hanging.Task.WaitAsync(TimeSpan.FromSeconds(20)));
        for (int i = 0; i < 3; i++)
        {
            await sse.NextFrameStartingWithAsync("data: {");
        }

        // The client has every event the upstream sent, so a read of the upstream body in progress now
        // is the relay waiting for more: it is not writing to the client.
        await _upstreamReads.Changed.WaitUntilAsync(() => _upstreamReads.ReadsInProgress > 0, "the relay waiting on the upstream body");

        _clock.Advance(IdleTimeout);

        string body = await sse.ReadToEndAsync();
        Assert.Contains("\"code\":\"idle_timeout\"", body, StringComparison.Ordinal);
        BillingRecord record = await Relay.Billing.SingleForAsync("openai/hang");
        Assert.Equal(ExchangeOutcome.Failed, record.Outcome);
        Assert.Equal(EndedBy.IdleTimeout, record.EndedBy);
        Assert.Equal("idle_timeout", record.ErrorCode);
        Assert.Equal("hang", await Upstream.AbortObserved.Task.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task SteadyStreamLongerThanTheIdleTimeout_IsNotCut()
    {
        // Each event comes 0.6 idle timeouts after the one before; the stream as a whole lasts several.
        // The client asks for usage itself, so every upstream event reaches it (one gate per event).
        TimeSpan gap = IdleTimeout * 0.6;
        using HttpResponseMessage response = await Relay.Http.SendAsync(Post("/v1/chat/completions", """{"model":"openai/gpt-4o~gated","stream":true,"stream_options":{"include_usage":true},"messages":[]}"""), HttpCompletionOption.ResponseHeadersRead);
        var sse = new SseClient(await response.Content.ReadAsStreamAsync());
        int events = 0;
        while (true)
        {
            string frame = await sse.NextFrameStartingWithAsync("data: ");
            if (frame == "data: [DONE]")
            {
                break;
            }

            // The client has event n, so the relay read it (and touched the timeout) at the current time.
            events++;
            _clock.Advance(gap);
            Upstream.Gate.Release();
        }

        string body = sse.All;
        Assert.Contains(": keep-alive\n\n", body, StringComparison.Ordinal);
        Assert.DoesNotContain("\"error\"", body, StringComparison.Ordinal);
        BillingRecord record = await Relay.Billing.SingleForAsync("openai/gpt-4o~gated");
        Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
        Assert.Equal(EndedBy.Upstream, record.EndedBy);
        Assert.Null(record.ErrorCode);
        Assert.True(events >= 6, $"only {events} events: the stream did not outlast the idle timeout several times over");
    }

    // When the idle timeout cancels the flush a stalled client holds back, Kestrel aborts the connection
    // before rethrowing, which fires RequestAborted too: the relay must still bill the idle timeout, not a
    // client abort (this test caught that race in HttpRelay.BodyFailedAsync, which now checks the stall first).
    [Fact]
    public async Task StalledClient_IsCutOffByTheIdleTimeout_AndItsConnectionClosed()
    {
        Relay.Probe.ObserveResponseBodies = true;
        // A client with a small fixed receive window that sends its request and then reads nothing.
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await client.ConnectAsync(IPAddress.Loopback, Relay.BaseUrl.Port);
        byte[] json = Encoding.UTF8.GetBytes("""{"model":"openai/flood","stream":true,"messages":[]}""");
        string head = $"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {RelayTestHost.RelayKey}\r\nContent-Type: application/json\r\nContent-Length: {json.Length}\r\n\r\n";
        await client.SendAsync(Encoding.ASCII.GetBytes(head).Concat(json).ToArray());
        ObservedRequest request = await Relay.Probe.WaitStartedAsync("/v1/chat/completions");
        ObservedBodyWriter writer = request.Body!;

        // Move the clock only while a flush to the client is held back: first to just short of the idle
        // timeout; then, if that same flush is still held, across it. The timeout can then fire only
        // while the relay waits for the client (a flush that completed in between touched the timeout).
        var tried = new HashSet<ObservedBodyWriter.HeldFlush>();
        while (!request.IsFinished)
        {
            await Relay.Probe.Changed.WaitUntilAsync(() => request.IsFinished || (writer.Held is { } h && !tried.Contains(h)), "a flush the client holds back");
            if (writer.Held is not { } held || request.IsFinished)
            {
                continue;
            }

            tried.Add(held);
            _clock.Advance(IdleTimeout - TimeSpan.FromTicks(1));
            if (!held.IsDone)
            {
                _clock.Advance(TimeSpan.FromTicks(1));
            }
        }

        BillingRecord record = await Relay.Billing.SingleForAsync("openai/flood");
        Assert.Equal(ExchangeOutcome.ClientAborted, record.Outcome);
        Assert.Equal(EndedBy.IdleTimeout, record.EndedBy);
        Assert.Equal("client_idle_timeout", record.ErrorCode);
        Assert.True(writer.BytesWritten < FakeUpstream.FloodEvents * 1000L, $"the relay wrote the whole flood ({writer.BytesWritten} bytes) to a client that read nothing");

        // The relay closed the client's connection: reading what is left ends, with an end of stream or a reset.
        Assert.True(await ReadsToTheEndAsync(client), "the client's connection was left open");
        // (The upstream side is checked by the base class: no upstream response is left streaming.
        // The fake may well have finished: 16 MiB fit in the kernel buffers between it and the relay.)
    }

    private static async Task<bool> ReadsToTheEndAsync(Socket socket)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        byte[] buffer = new byte[64 * 1024];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, bound.Token) > 0)
            {
            }

            return true;
        }
        catch (SocketException)
        {
            return true; // reset
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
