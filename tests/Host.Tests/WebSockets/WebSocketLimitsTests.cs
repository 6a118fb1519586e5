using System.Net.WebSockets;
using System.Text.Json;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Supervision;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaProxy.Host.Tests.WebSockets;

/// <summary>What the relay refuses on an open session, and a client that stops reading.</summary>
public sealed class WebSocketLimitsTests : RelayTestBase
{
    private const string Create = """{"type":"response.create","model":"openai/gpt-4o","input":[]}""";

    protected override string ExtraHocon => "akkaproxy.websocket { idle-timeout = 2s, close-timeout = 1s, max-open-turns = 3 }";

    private FakeResponsesSocket Fake => Upstream.Socket;

    [Theory]
    [InlineData("""{"type":"response.create","model":"openai/gpt-4o","model":"gpt-5-pro","input":[]}""")]
    [InlineData("""{"type":"response.create","model":"openai/gpt-4o" """)]
    public async Task UnreadableMessageOnAnOpenSession_IsRefusedNotForwarded(string message)
    {
        await using RelaySocket socket = await ConnectedAsync();

        await socket.SendAsync(message);
        JsonElement error = await socket.ReceiveUntilAsync("error");

        Assert.Equal("invalid_message", error.GetProperty("error").GetProperty("code").GetString());
        await socket.SendAsync(Create);
        await socket.ReceiveUntilAsync("response.completed");
        Assert.Equal(2, Fake.Received.Count);
    }

    [Fact]
    public async Task BinaryMessage_IsRefused()
    {
        await using RelaySocket socket = await ConnectedAsync();

        await socket.Socket.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, CancellationToken.None);
        JsonElement error = await socket.ReceiveUntilAsync("error");

        Assert.Equal("invalid_message", error.GetProperty("error").GetProperty("code").GetString());
        Assert.Single(Fake.Received);
    }

    [Theory]
    [InlineData("")]
    [InlineData("bad id!")]
    public async Task InvalidStreamId_GetsOpenAIsOwnError(string streamId)
    {
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl);

        await socket.SendAsync($$"""{"type":"response.create","model":"openai/gpt-4o","stream_id":"{{streamId}}","input":[]}""");
        string? error = await socket.ReceiveAsync();

        Assert.Equal("""{"type":"error","status":400,"error":{"type":"invalid_request_error","code":"invalid_stream_id","message":"The 'stream_id' field must be a non-empty string with at most 256 characters and may only contain letters, numbers, underscores, hyphens, and periods.","param":"stream_id"}}""", error);
        Assert.Empty(Fake.Handshakes);
    }

    [Fact]
    public async Task The33rdNamedLane_GetsTheStreamLimitError()
    {
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl);
        for (int i = 0; i < 32; i++)
        {
            await socket.SendAsync($$"""{"type":"response.create","model":"openai/gpt-4o","stream_id":"agent_{{i}}","input":[]}""");
            await socket.ReceiveUntilAsync("response.completed");
        }

        await socket.SendAsync("""{"type":"response.create","model":"openai/gpt-4o","stream_id":"agent_33","input":[]}""");
        JsonElement error = await socket.ReceiveUntilAsync("error");

        Assert.Equal("websocket_stream_limit_reached", error.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("agent_33", error.GetProperty("stream_id").GetString());
        Assert.Equal(32, Fake.Received.Count);
    }

    [Fact]
    public async Task TooManyOpenTurns_AreRefused()
    {
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl);

        for (int i = 0; i < 3; i++)
        {
            await socket.SendAsync("""{"type":"response.create","model":"openai/ws-hold","stream_id":"solo","input":[]}""");
        }

        await socket.SendAsync("""{"type":"response.create","model":"openai/ws-hold","stream_id":"solo","input":[]}""");
        JsonElement error = await socket.ReceiveUntilAsync("error");

        Assert.Equal("too_many_open_turns", error.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task ClientThatStopsReading_IsCutOffAtTheIdleTimeout_AndTheTurnIsStillBilledOnce()
    {
        // Before the fix, the idle close waited forever behind a send stuck on this client.
        RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl, smallReceiveBuffer: true);
        await socket.SendAsync("""{"type":"response.create","model":"openai/ws-flood","input":[]}""");

        // The client is cut off; the relay keeps reading (not forwarding) what the upstream still
        // sends, so the turn the upstream finished is billed with the usage it reported.
        BillingRecord record = await Relay.Billing.WaitForAsync(r => r.Turn == 1, TimeSpan.FromSeconds(30));
        Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
        Assert.Equal(AkkaProxy.Pipeline.Usage.UsageStatus.Reported, record.Usage.Status);
        WebSocketRelay relay = Relay.App.Services.GetRequiredService<WebSocketRelay>();
        await WaitUntilAsync(() => relay.ActiveSessions == 0, "the session hung on a client that does not read");
        Assert.Single(Relay.Billing.Records, r => r.Turn == 1);
        socket.Socket.Abort();
        await socket.DisposeAsync();
    }

    private async Task<RelaySocket> ConnectedAsync()
    {
        RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl);
        await socket.SendAsync(Create);
        await socket.ReceiveUntilAsync("response.completed");
        return socket;
    }
}
