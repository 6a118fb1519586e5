using System.Net.WebSockets;
using System.Text.Json;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;

namespace AkkaProxy.Host.Tests.WebSockets;

/// <summary>
/// The WebSocket upgrade carries headers both ways as an HTTP request does (Codex sends its session
/// headers on the upgrade and reads <c>x-codex-turn-state</c> and <c>openai-model</c> from the 101),
/// and <c>permessage-deflate</c> is negotiated with both sides.
/// </summary>
public sealed class WebSocketHandshakeHeadersTests : RelayTestBase
{
    private const string Create = """{"type":"response.create","model":"openai/gpt-4o","store":false,"input":[]}""";

    private FakeResponsesSocket Fake => Upstream.Socket;

    [Fact]
    public async Task TheClientsUpgradeHeaders_ReachTheUpstream_NeverItsKeysCookiesOrHopByHopHeaders()
    {
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl, options =>
        {
            options.SetRequestHeader("Authorization", "Bearer " + RelayTestHost.RelayKey);
            options.SetRequestHeader("OpenAI-Beta", "responses_websockets=2026-02-06");
            options.SetRequestHeader("x-codex-turn-state", "state-from-the-client");
            options.SetRequestHeader("session_id", "0199-session");
            options.SetRequestHeader("originator", "codex_exec");
            options.SetRequestHeader("Cookie", "session=secret");
            options.SetRequestHeader("x-api-key", RelayTestHost.RelayKey);
            options.SetRequestHeader("Keep-Alive", "timeout=5");
            options.SetRequestHeader("OpenAI-Organization", "org-of-the-client");
        });
        await socket.SendAsync(Create);
        await socket.ReceiveUntilAsync("response.completed");

        IReadOnlyDictionary<string, string> upstream = Assert.Single(Fake.Handshakes);
        Assert.Equal("responses_websockets=2026-02-06", upstream["OpenAI-Beta"]);
        Assert.Equal("state-from-the-client", upstream["x-codex-turn-state"]);
        Assert.Equal("0199-session", upstream["session_id"]);
        Assert.Equal("codex_exec", upstream["originator"]);
        Assert.Equal("Bearer " + RelayTestHost.OpenAIUpstreamKey, upstream["Authorization"]);
        foreach (string dropped in new[] { "Cookie", "x-api-key", "Keep-Alive", "OpenAI-Organization" })
        {
            Assert.False(upstream.ContainsKey(dropped), $"{dropped} went upstream");
        }

        Assert.DoesNotContain(upstream.Values, v => v.Contains(RelayTestHost.RelayKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnUpgradeThatNamesItsModel_IsDialledFirst_AndThe101CarriesTheUpstreamsHeaders()
    {
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl, options =>
        {
            options.SetRequestHeader("Authorization", "Bearer " + RelayTestHost.RelayKey);
            options.SetRequestHeader("x-codex-turn-state", "turn-state-7");
        }, query: "model=openai/gpt-4o");

        Assert.Single(Fake.Handshakes); // dialled before the 101, before any message
        IReadOnlyDictionary<string, IEnumerable<string>> answered = socket.Socket.HttpResponseHeaders!;
        Assert.Equal("gpt-4o", answered["openai-model"].Single()); // the upstream got the model without its prefix
        Assert.Equal("turn-state-7", answered["x-codex-turn-state"].Single());
        Assert.Equal("true", answered["x-reasoning-included"].Single());
        Assert.False(answered.ContainsKey("openai-organization"), "the operator's account id reached the client");
        Assert.False(answered.ContainsKey("Set-Cookie"), "the upstream's cookie reached the client");

        await socket.SendAsync("""{"type":"response.create","store":false,"input":[]}""");
        await socket.ReceiveUntilAsync("response.completed");
        Assert.Single(Fake.Handshakes); // the first turn used the socket dialled ahead
        BillingRecord record = await Relay.Billing.WaitForAsync(r => r.Turn == 1);
        Assert.Equal((ExchangeOutcome.Completed, "openai", "openai/gpt-4o"), (record.Outcome, record.Provider, record.RequestedModel));
    }

    [Fact]
    public async Task AnUpgradeThatNamesNoModel_DialsAtItsFirstTurn_And101CarriesNoUpstreamHeaders()
    {
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl);

        Assert.Empty(Fake.Handshakes);
        Assert.False(socket.Socket.HttpResponseHeaders!.ContainsKey("openai-model"));
        await socket.SendAsync(Create);
        await socket.ReceiveUntilAsync("response.completed");
        Assert.Single(Fake.Handshakes);
    }

    [Fact]
    public async Task AnUpgradeWhoseUpstreamCannotBeReached_IsStillAccepted_AndItsFirstTurnGetsTheError()
    {
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl, query: "model=deadend/gpt-4o");

        Assert.Equal(WebSocketState.Open, socket.Socket.State);
        await socket.SendAsync("""{"type":"response.create","store":false,"input":[]}""");
        JsonElement error = await socket.ReceiveUntilAsync("error");
        Assert.Equal(502, error.GetProperty("status").GetInt32());
        BillingRecord record = await Relay.Billing.WaitForAsync(r => r.ErrorCode == "upstream_unreachable");
        Assert.Equal(ExchangeOutcome.UpstreamError, record.Outcome);
    }

    [Fact]
    public async Task PermessageDeflate_IsNegotiatedWithTheClient_AndOfferedToTheUpstream_AndEveryEventArrivesWhole()
    {
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl, options =>
        {
            options.SetRequestHeader("Authorization", "Bearer " + RelayTestHost.RelayKey);
            options.DangerousDeflateOptions = new WebSocketDeflateOptions();
        });

        Assert.Contains("permessage-deflate", socket.Socket.HttpResponseHeaders!["Sec-WebSocket-Extensions"].Single(), StringComparison.Ordinal);
        for (int turn = 1; turn <= 2; turn++)
        {
            await socket.SendAsync(Create);
            await socket.ReceiveUntilAsync("response.completed");
        }

        Assert.Contains("permessage-deflate", Assert.Single(Fake.Handshakes)["Sec-WebSocket-Extensions"], StringComparison.Ordinal);
        Assert.Equal(Fake.Sent, socket.Received); // byte for byte, through both compressors
        Assert.Equal(FakeResponsesSocket.Usage(2).Output, (await Relay.Billing.WaitForAsync(r => r.Turn == 2)).Usage.OutputTokens);
    }

    [Fact]
    public async Task AClientThatOffersNoCompression_GetsNone()
    {
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl);

        Assert.False(socket.Socket.HttpResponseHeaders!.ContainsKey("Sec-WebSocket-Extensions"));
        await socket.SendAsync(Create);
        await socket.ReceiveUntilAsync("response.completed");
        Assert.Equal(Fake.Sent, socket.Received);
    }
}

/// <summary>A relay with <c>upgrade-provider</c> set and compression off: a client that names no model (Codex) still gets the upstream's headers on its 101.</summary>
public sealed class WebSocketUpgradeProviderTests : RelayTestBase
{
    protected override string ExtraHocon => "akkaproxy.websocket { upgrade-provider = openai, compression = false, upstream-compression = false }";

    [Fact]
    public async Task AnUpgradeWithoutModel_IsBoundToTheUpgradeProvider_AndGetsItsHeaders()
    {
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl, options =>
        {
            options.SetRequestHeader("Authorization", "Bearer " + RelayTestHost.RelayKey);
            options.DangerousDeflateOptions = new WebSocketDeflateOptions(); // offered, and declined: compression is off
        });

        IReadOnlyDictionary<string, IEnumerable<string>> answered = socket.Socket.HttpResponseHeaders!;
        Assert.Equal("gpt-fake", answered["openai-model"].Single()); // no ?model= upstream: the fake's own answer
        Assert.Equal("fresh-state", answered["x-codex-turn-state"].Single());
        Assert.False(answered.ContainsKey("Sec-WebSocket-Extensions"), "compression was negotiated though it is off");
        Assert.False(Assert.Single(Upstream.Socket.Handshakes).ContainsKey("Sec-WebSocket-Extensions"), "compression was offered upstream though it is off");

        await socket.SendAsync("""{"type":"response.create","model":"openai/gpt-4o","store":false,"input":[]}""");
        await socket.ReceiveUntilAsync("response.completed");
        Assert.Single(Upstream.Socket.Handshakes);

        await socket.SendAsync("""{"type":"response.create","model":"compat/llama3","store":false,"input":[]}""");
        JsonElement error = await socket.ReceiveUntilAsync("error"); // bound to openai: another provider is refused, as after any first turn
        Assert.Equal("provider_mismatch", error.GetProperty("error").GetProperty("code").GetString());
    }
}
