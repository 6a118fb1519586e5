using System.Text.Json;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaProxy.Host.Tests.WebSockets;

/// <summary>
/// A WebSocket client that stops reading slows the upstream instead of filling the relay's memory.
/// A <see cref="WebSocketProbe"/> watches the relay's two sockets (it only looks), so the test waits
/// for the state it means, on events, with no timer: the relay parked on a write to its client, not
/// receiving from the upstream, while the upstream's own send is held back.
/// </summary>
public sealed class WebSocketBackpressureTests : RelayTestBase
{
    private readonly WebSocketProbe _probe = new();

    // Uncompressed upstream: the flood's repeated deltas deflate to a few bytes each, which the kernel's
    // buffers would absorb whole, and the fake's sends would never be held back.
    protected override string ExtraHocon => "akkaproxy.websocket { max-message-bytes = 1MiB, close-timeout = 2s, upstream-compression = false }";

    private FakeResponsesSocket Fake => Upstream.Socket;

    protected override void ConfigureServices(IServiceCollection services) => _probe.Register(services);

    [Fact]
    public async Task SlowClient_SlowsTheUpstream_ThenGetsEveryEvent()
    {
        Fake.SendStateChanged = _probe.Changed;
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl, smallReceiveBuffer: true);
        await socket.SendAsync("""{"type":"response.create","model":"openai/ws-flood","input":[]}""");

        // Read nothing until the relay is parked on a write to this client (and not receiving from the
        // upstream) while the fake upstream's send is held back: the upstream is slowed down.
        await _probe.Changed.WaitUntilAsync(
            () => _probe.ClientWritesInProgress > 0 && _probe.UpstreamReceivesInProgress == 0 && Fake.SendsHeldBack > 0,
            "the relay parked on its client while the upstream's send is held back");
        long sentWhileStalled = Fake.FloodSent;
        Assert.True(sentWhileStalled < FakeResponsesSocket.FloodDeltas, "the upstream sent the whole flood to a client that read nothing");

        // Now the client reads: every event arrives, byte for byte and in order.
        JsonElement completed = await socket.ReceiveUntilAsync("response.completed");
        Assert.Equal("completed", completed.GetProperty("response").GetProperty("status").GetString());
        Assert.Equal(FakeResponsesSocket.FloodDeltas + 3, socket.Received.Count);
        Assert.Equal(Fake.Sent, socket.Received);
        Assert.True(_probe.UpstreamReceivesStarted >= FakeResponsesSocket.FloodDeltas + 3, "the probe did not see the relay's upstream receives");

        // Throughout, the relay never asked the upstream for more while a write to its client was pending:
        // it holds at most the message in hand, whatever the client's pace.
        Assert.Equal(0, _probe.UpstreamReceivesWhileClientWritePending);
    }
}
