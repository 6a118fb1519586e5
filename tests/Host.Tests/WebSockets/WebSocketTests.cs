using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Usage;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaProxy.Host.Tests.WebSockets;

/// <summary>Responses WebSocket mode through the real relay against the fake upstream's socket. Every test ends with a leak check.</summary>
public sealed class WebSocketTests : RelayTestBase
{
    private const string Create = """{"type":"response.create","model":"openai/gpt-4o","store":false,"input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"Find fizz_buzz()"}]}],"tools":[]}""";

    protected override string ExtraHocon => """
            akkaproxy.websocket { max-message-bytes = 1MiB, close-timeout = 2s }
            akkaproxy.auth.allowed-origins = ["https://app.example"]
            """;

    private FakeResponsesSocket Fake => Upstream.Socket;

    [Fact]
    public async Task MultiTurnConversation_StripsThePrefix_ChainsAndBillsEveryTurn()
    {
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl);

        await socket.SendAsync(Create);
        JsonElement first = await socket.ReceiveUntilAsync("response.completed");
        string second = Create.Replace("\"store\":false,", "\"store\":false,\"previous_response_id\":\"resp_ws_1\",", StringComparison.Ordinal);
        await socket.SendAsync(second);
        JsonElement done = await socket.ReceiveUntilAsync("response.completed");

        Assert.Equal("resp_ws_1", first.GetProperty("response").GetProperty("id").GetString());
        Assert.Equal("resp_ws_1", done.GetProperty("response").GetProperty("previous_response_id").GetString());
        Assert.Equal([Create.Replace("openai/gpt-4o", "gpt-4o", StringComparison.Ordinal), second.Replace("openai/gpt-4o", "gpt-4o", StringComparison.Ordinal)], Fake.Received);
        Assert.Equal(Fake.Sent, socket.Received); // every server event, byte for byte

        BillingRecord turn1 = await Relay.Billing.WaitForAsync(r => r.Turn == 1);
        BillingRecord turn2 = await Relay.Billing.WaitForAsync(r => r.Turn == 2);
        Assert.Equal("resp_ws_1", turn1.ResponseId);
        Assert.Equal("resp_ws_2", turn2.ResponseId);
        Assert.Null(turn1.PreviousResponseId);
        Assert.Equal("resp_ws_1", turn2.PreviousResponseId);
        foreach ((BillingRecord record, int n) in new[] { (turn1, 1), (turn2, 2) })
        {
            (int input, int cached, int output, int reasoning) = FakeResponsesSocket.Usage(n);
            Assert.Equal(ApiKind.Responses, record.Api);
            Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
            Assert.Equal(101, record.HttpStatus);
            Assert.Equal("team-a", record.KeyId);
            Assert.Equal("openai/gpt-4o", record.RequestedModel);
            Assert.Equal("gpt-4o", record.UpstreamModel);
            Assert.Equal(UsageStatus.Reported, record.Usage.Status);
            Assert.Equal(input, record.Usage.InputTokens);
            Assert.Equal(cached, record.Usage.CachedInputTokens);
            Assert.Equal(output, record.Usage.OutputTokens);
            Assert.Equal(reasoning, record.Usage.ReasoningTokens);
            Assert.Equal(((input - cached) * 2.50m + cached * 1.25m + output * 10.00m) / 1_000_000m, record.Cost);
        }
    }

    [Fact]
    public async Task UpstreamHandshake_CarriesTheProviderKeyAndBetaHeader_NotTheClientsCredentials()
    {
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl, options =>
        {
            options.SetRequestHeader("Authorization", "Bearer " + RelayTestHost.RelayKey);
            options.SetRequestHeader("OpenAI-Beta", "responses_websockets=2026-02-06");
        });
        await socket.SendAsync(Create);
        await socket.ReceiveUntilAsync("response.completed");

        IReadOnlyDictionary<string, string> headers = Assert.Single(Fake.Handshakes);
        Assert.Equal("Bearer " + RelayTestHost.OpenAIUpstreamKey, headers["Authorization"]);
        Assert.Equal("responses_websockets=2026-02-06", headers["OpenAI-Beta"]);
        Assert.DoesNotContain(headers.Values, v => v.Contains(RelayTestHost.RelayKey, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("not json at all", "invalid_message")]
    [InlineData("""{"type":"response.steer","input":[]}""", "invalid_message")]
    [InlineData("""{"type":"response.create","input":[]}""", "missing_model")]
    [InlineData("""{"type":"response.create","model":"nowhere/gpt-4o"}""", "model_not_found")]
    [InlineData("""{"type":"response.create","model":"anthropic/claude-sonnet-4"}""", "unsupported_provider")]
    public async Task BadFirstMessage_GetsAnErrorEvent_DialsNothing_AndTheSocketStaysUsable(string message, string code)
    {
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl);

        await socket.SendAsync(message);
        JsonElement error = await socket.ReceiveUntilAsync("error");

        Assert.Equal(400, error.GetProperty("status").GetInt32());
        Assert.Equal(code, error.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("error").GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("error").GetProperty("message").GetString()));
        Assert.Empty(Fake.Handshakes);

        await socket.SendAsync(Create);
        await socket.ReceiveUntilAsync("response.completed");
        Assert.Single(Fake.Handshakes);
    }

    [Fact]
    public async Task LaterTurnForAnotherProvider_GetsAnErrorAndTheSocketStaysUsable()
    {
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl);
        await socket.SendAsync(Create);
        await socket.ReceiveUntilAsync("response.completed");

        await socket.SendAsync("""{"type":"response.create","model":"compat/llama","stream_id":"side"}""");
        JsonElement error = await socket.ReceiveUntilAsync("error");
        await socket.SendAsync(Create);
        await socket.ReceiveUntilAsync("response.completed");

        Assert.Equal("provider_mismatch", error.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("side", error.GetProperty("stream_id").GetString());
        Assert.Equal(2, Fake.Received.Count);
        Assert.Single(Fake.Handshakes);
    }

    [Fact]
    public async Task StreamIdLanes_AreBilledToTheirOwnTurns_EvenWhenTheyFinishOutOfOrder()
    {
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl);

        await socket.SendAsync("""{"type":"response.create","model":"openai/ws-hold","stream_id":"lane-a","input":[]}""");
        await socket.SendAsync("""{"type":"response.create","model":"openai/ws-hold","stream_id":"lane-b","input":[]}""");
        JsonElement firstDone = await socket.ReceiveUntilAsync("response.completed");
        JsonElement secondDone = await socket.ReceiveUntilAsync("response.completed");

        Assert.Equal("lane-b", firstDone.GetProperty("stream_id").GetString());
        Assert.Equal("lane-a", secondDone.GetProperty("stream_id").GetString());
        BillingRecord a = await Relay.Billing.WaitForAsync(r => r.StreamId == "lane-a");
        BillingRecord b = await Relay.Billing.WaitForAsync(r => r.StreamId == "lane-b");
        Assert.Equal(1, a.Turn);
        Assert.Equal(FakeResponsesSocket.ResponseId(1), a.ResponseId);
        Assert.Equal(FakeResponsesSocket.Usage(1).Input, a.Usage.InputTokens);
        Assert.Equal(2, b.Turn);
        Assert.Equal(FakeResponsesSocket.ResponseId(2), b.ResponseId);
        Assert.Equal(FakeResponsesSocket.Usage(2).Input, b.Usage.InputTokens);
    }

    [Fact]
    public async Task OtherClientEvents_PassThroughByteForByte()
    {
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl);
        await socket.SendAsync(Create);
        await socket.ReceiveUntilAsync("response.completed");

        const string steer = """{ "type" : "response.steer",  "input":[{"type":"message","role":"user","content":"caf\u00e9"}] }""";
        await socket.SendAsync(steer);
        await socket.SendAsync(Create);
        await socket.ReceiveUntilAsync("response.completed");

        Assert.Equal(steer, Fake.Received.ElementAt(1));
    }

    [Fact]
    public async Task GenerateFalseWarmUp_IsForwardedAndBilledWithZeroOutput()
    {
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl);

        await socket.SendAsync("""{"type":"response.create","model":"openai/gpt-4o","generate":false,"input":[]}""");
        await socket.ReceiveUntilAsync("response.completed");

        Assert.Contains("\"generate\":false", Fake.Received.Single(), StringComparison.Ordinal);
        BillingRecord record = await Relay.Billing.WaitForAsync(r => r.Turn == 1);
        Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
        Assert.Equal(0, record.Usage.OutputTokens);
        Assert.Equal(FakeResponsesSocket.Usage(1, generate: false).Input, record.Usage.InputTokens);
    }

    [Fact]
    public async Task ClientClose_ClosesTheUpstreamWithTheSameCodeAndReason()
    {
        RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl);
        await socket.SendAsync(Create);
        await socket.ReceiveUntilAsync("response.completed");

        await socket.Socket.CloseAsync((WebSocketCloseStatus)4321, "client says bye", CancellationToken.None);
        await socket.DisposeAsync();

        await WaitUntilAsync(() => !Fake.ClosesReceived.IsEmpty, "the upstream got no close");
        (WebSocketCloseStatus? status, string? reason) = Fake.ClosesReceived.Single();
        Assert.Equal((WebSocketCloseStatus)4321, status);
        Assert.Equal("client says bye", reason);
        Assert.Equal((WebSocketCloseStatus)4321, socket.Socket.CloseStatus);
    }

    [Fact]
    public async Task UpstreamClose_ClosesTheClientWithTheSameCodeAndReason()
    {
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl);

        await socket.SendAsync("""{"type":"response.create","model":"openai/ws-close","input":[]}""");
        (WebSocketCloseStatus? status, string? reason) = await socket.ReceiveCloseAsync();

        Assert.Equal((WebSocketCloseStatus)4000, status);
        Assert.Equal("fake closing", reason);
        BillingRecord record = await Relay.Billing.WaitForAsync(r => r.Turn == 1);
        Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
    }

    [Fact]
    public async Task UpstreamAbortMidTurn_Gives1011_AndBillsTheTurnAsAborted()
    {
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl);

        await socket.SendAsync("""{"type":"response.create","model":"openai/ws-abort","input":[]}""");
        (WebSocketCloseStatus? status, _) = await socket.ReceiveCloseAsync();

        Assert.Equal(WebSocketCloseStatus.InternalServerError, status);
        Assert.Contains(socket.Received, m => m.Contains("response.created", StringComparison.Ordinal));
        BillingRecord record = await Relay.Billing.WaitForAsync(r => r.Turn == 1);
        Assert.Equal(ExchangeOutcome.Failed, record.Outcome);
        Assert.Equal(EndedBy.Upstream, record.EndedBy);
        Assert.Equal(FakeResponsesSocket.ResponseId(1), record.ResponseId);
        Assert.Equal(UsageStatus.Missing, record.Usage.Status);
    }

    [Fact]
    public async Task ConnectionLimitError_ReachesTheClientUnchanged()
    {
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl);

        await socket.SendAsync("""{"type":"response.create","model":"openai/ws-limit","input":[]}""");
        string? error = await socket.ReceiveAsync();

        Assert.Equal(FakeResponsesSocket.LimitError, error);
        BillingRecord record = await Relay.Billing.WaitForAsync(r => r.Turn == 1);
        Assert.Equal(ExchangeOutcome.Failed, record.Outcome);
    }

    [Fact]
    public async Task MalformedUsage_IsUnknown_ForwardedUnchanged_AndTheSessionGoesOn()
    {
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl);

        await socket.SendAsync("""{"type":"response.create","model":"openai/ws-badusage","input":[]}""");
        JsonElement completed = await socket.ReceiveUntilAsync("response.completed");
        await socket.SendAsync(Create);
        await socket.ReceiveUntilAsync("response.completed");

        Assert.Equal("many", completed.GetProperty("response").GetProperty("usage").GetProperty("input_tokens").GetString());
        BillingRecord bad = await Relay.Billing.WaitForAsync(r => r.Turn == 1);
        BillingRecord good = await Relay.Billing.WaitForAsync(r => r.Turn == 2);
        Assert.Equal(UsageStatus.Unknown, bad.Usage.Status);
        Assert.Null(bad.Cost);
        Assert.Equal(UsageStatus.Reported, good.Usage.Status);
    }

    [Fact]
    public async Task OversizeClientMessage_Closes1009WithAReason()
    {
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl);

        await socket.SendAsync("{\"type\":\"response.create\",\"pad\":\"" + new string('x', 2 * 1024 * 1024) + "\"}");
        (WebSocketCloseStatus? status, string? reason) = await socket.ReceiveCloseAsync();

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, status);
        Assert.Contains("1048576", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OversizeUpstreamMessage_ClosesTheUpstream1009AndTheClient1011()
    {
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl);

        await socket.SendAsync("""{"type":"response.create","model":"openai/ws-big","input":[]}""");
        (WebSocketCloseStatus? status, _) = await socket.ReceiveCloseAsync();

        Assert.Equal(WebSocketCloseStatus.InternalServerError, status);
        await WaitUntilAsync(() => !Fake.ClosesReceived.IsEmpty, "the upstream got no close");
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, Fake.ClosesReceived.Single().Status);
    }

    [Fact]
    public async Task SubprotocolKey_IsAccepted_AndANonKeyProtocolIsNegotiated()
    {
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl, options =>
        {
            options.AddSubProtocol("openai-insecure-api-key." + RelayTestHost.RelayKey);
            options.AddSubProtocol("openai-beta.responses-v1");
        });

        await socket.SendAsync(Create);
        await socket.ReceiveUntilAsync("response.completed");

        Assert.Equal("openai-beta.responses-v1", socket.Socket.SubProtocol);
        Assert.Equal("team-a", (await Relay.Billing.WaitForAsync(r => r.Turn == 1)).KeyId);
    }

    [Theory]
    [InlineData("openai-insecure-api-key.wrong", null, HttpStatusCode.BadRequest)] // the key alone: refused, never echoed
    [InlineData("openai-responses", null, HttpStatusCode.Unauthorized)]
    [InlineData(null, null, HttpStatusCode.Unauthorized)]
    [InlineData("openai-insecure-api-key." + RelayTestHost.RelayKey, "https://evil.example", HttpStatusCode.Forbidden)]
    public async Task BadKeyOrOrigin_IsRefusedBeforeTheUpgrade(string? protocol, string? origin, HttpStatusCode expected)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (protocol is not null)
        {
            socket.Options.AddSubProtocol(protocol);
        }

        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(new UriBuilder(Relay.BaseUrl) { Scheme = "ws", Path = "/v1/responses" }.Uri, CancellationToken.None));

        Assert.Equal(expected, socket.HttpStatusCode);
        Assert.Equal("false", socket.HttpResponseHeaders!["x-should-retry"].Single()); // the same upgrade fails the same way
        Assert.Empty(Fake.Handshakes);
    }

    [Fact]
    public async Task ARefusedUpgrade_IsSentWhole_WithContentLength_NotChunked()
    {
        // Raw bytes: ClientWebSocket shows no content headers, and a client that prints a refused
        // upgrade's body (Codex does) must not see chunk sizes in it.
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(Relay.BaseUrl.Host, Relay.BaseUrl.Port);
        using var stream = tcp.GetStream();
        string upgrade = $"GET /v1/responses HTTP/1.1\r\nHost: {Relay.BaseUrl.Authority}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
            + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(upgrade));

        var received = new MemoryStream();
        var buffer = new byte[4096];
        string text;
        int headEnd;
        do
        {
            int read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.True(read > 0, "the relay closed before the whole refusal came");
            received.Write(buffer, 0, read);
            text = System.Text.Encoding.UTF8.GetString(received.ToArray());
            headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        }
        while (headEnd < 0 || text.Length - headEnd - 4 < ContentLengthOf(text[..headEnd]));

        string head = text[..headEnd];
        Assert.StartsWith("HTTP/1.1 401", head, StringComparison.Ordinal);
        Assert.DoesNotContain("Transfer-Encoding", head, StringComparison.OrdinalIgnoreCase);
        string body = text[(headEnd + 4)..];
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(body), ContentLengthOf(head));
        using JsonDocument json = JsonDocument.Parse(body);
        Assert.Equal("invalid_api_key", json.RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    private static int ContentLengthOf(string head) =>
        head.Split("\r\n").Where(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)).Select(l => int.Parse(l["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture)).DefaultIfEmpty(-1).Single() is int length and >= 0
            ? length
            : throw new Xunit.Sdk.XunitException("the refusal has no Content-Length: " + head);

    [Fact]
    public async Task AllowedBrowserOrigin_IsAccepted()
    {
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl, options =>
        {
            options.SetRequestHeader("Origin", "https://app.example");
            options.AddSubProtocol("openai-insecure-api-key." + RelayTestHost.RelayKey);
            options.AddSubProtocol("openai-responses");
        });

        await socket.SendAsync(Create);
        await socket.ReceiveUntilAsync("response.completed");

        Assert.Equal("openai-responses", socket.Socket.SubProtocol);
    }

    [Fact]
    public async Task ModelQuery_RoutesTheSocketAndIsSentUpstreamWithoutThePrefix()
    {
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl, query: "model=openai/gpt-4o");

        await socket.SendAsync("""{"type":"response.create","input":[]}""");
        await socket.ReceiveUntilAsync("response.completed");

        Assert.Single(Fake.Handshakes);
        BillingRecord record = await Relay.Billing.WaitForAsync(r => r.Turn == 1);
        Assert.Equal("openai", record.Provider);
    }

    [Fact]
    public async Task PlainGet_IsTold_ToUpgradeOrPost()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/responses");
        request.Headers.Authorization = new("Bearer", RelayTestHost.RelayKey);
        using HttpResponseMessage response = await Relay.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("websocket_upgrade_required", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
