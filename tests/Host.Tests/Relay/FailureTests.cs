using System.ClientModel;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Usage;
using OpenAI.Chat;

namespace AkkaProxy.Host.Tests.Relay;

/// <summary>What clients see, and what gets billed, when the upstream or the client misbehaves.</summary>
public sealed class FailureTests : RelayTestBase
{
    private const int MaxRequestBodyBytes = 64 * 1024;

    protected override string ExtraHocon => "akkaproxy.pipeline.max-request-body-bytes = 64KiB";

    [Theory]
    [InlineData("/v1/chat/completions")]
    [InlineData("/v1/responses")]
    public async Task OversizeRequestBody_Gets413InOpenAIShape_NothingGoesUpstream_AndItIsRecordedAsRejected(string path)
    {
        string json = "{\"model\":\"openai/gpt-4o\",\"input\":\"hi\",\"messages\":[],\"pad\":\"" + new string('x', MaxRequestBodyBytes) + "\"}";

        using HttpResponseMessage response = await Relay.Http.SendAsync(Post(path, json));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        JsonElement error = body.RootElement.GetProperty("error");
        Assert.Equal(["message", "type", "param", "code"], error.EnumerateObject().Select(p => p.Name));
        Assert.Equal(JsonValueKind.String, error.GetProperty("message").ValueKind);
        Assert.Contains(MaxRequestBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(JsonValueKind.Null, error.GetProperty("param").ValueKind);
        Assert.Equal("request_too_large", error.GetProperty("code").GetString());
        Assert.Single(body.RootElement.EnumerateObject());

        string requestId = response.Headers.GetValues(Pipeline.Supervision.HttpRelay.RequestIdHeader).Single();
        await Relay.Billing.DrainAsync(requestId);
        BillingRecord record = Assert.Single(Relay.Billing.Records);
        Assert.Equal(requestId, record.RequestId);
        Assert.Equal(ExchangeOutcome.Rejected, record.Outcome);
        Assert.Equal(413, record.HttpStatus);
        Assert.Equal(0m, record.Cost);
        Assert.Equal(0, Upstream.RequestsStarted);
    }

    [Fact]
    public async Task ClientAbortDuringUpload_ReachesNoUpstream_BillsNothing_AndTheRelayServesTheNextRequest()
    {
        // Headers announce 10,000 bytes; 3,000 come; then the client closes its socket.
        using (var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await client.ConnectAsync(IPAddress.Loopback, Relay.BaseUrl.Port);
            string head = $"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {RelayTestHost.RelayKey}\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n";
            await client.SendAsync(Encoding.ASCII.GetBytes(head + "{\"model\":\"openai/gpt-4o\",\"messages\":[],\"pad\":\"" + new string('x', 3000 - 46)));
            ObservedRequest upload = await Relay.Probe.WaitStartedAsync("/v1/chat/completions"); // the relay is reading the body
            client.Close();
            await upload.Finished.WaitAsync(TimeSpan.FromSeconds(20));
        }

        Assert.Equal(0, Upstream.RequestsStarted);

        using HttpResponseMessage next = await Relay.Http.SendAsync(Post("/v1/chat/completions", """{"model":"openai/gpt-4o","messages":[]}"""));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal(FakeStreams.ChatJson("gpt-4o"), await next.Content.ReadAsStringAsync());
        BillingRecord record = await Relay.Billing.SingleForAsync("openai/gpt-4o"); // drained: the aborted upload left no record
        Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
        Assert.Equal(record, Assert.Single(Relay.Billing.Records));
        Assert.Equal(1, Upstream.RequestsStarted);
    }

    [Fact]
    public async Task UpstreamResetMidStream_Chat_EndsWithAnErrorDataLineNotASilentCut()
    {
        string body = await PostStreamAsync("/v1/chat/completions", """{"model":"openai/reset","stream":true,"messages":[]}""");

        string[] events = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(4, events.Length);
        using JsonDocument error = JsonDocument.Parse(events[^1]["data: ".Length..]);
        Assert.Equal("upstream_reset", error.RootElement.GetProperty("error").GetProperty("code").GetString());
        BillingRecord record = await Relay.Billing.SingleForAsync("openai/reset");
        Assert.Equal(ExchangeOutcome.Failed, record.Outcome);
        Assert.Equal(EndedBy.Upstream, record.EndedBy);
        Assert.Equal("upstream_reset", record.ErrorCode);
    }

    [Fact]
    public async Task UpstreamResetMidStream_Chat_SdkGetsNoFabricatedEnding()
    {
        // The .NET SDK skips a `data: {"error":…}` chunk (the Python and Node SDKs raise on it);
        // what it must never see is a finish_reason the upstream did not send.
        ChatClient chat = Relay.OpenAI().GetChatClient("openai/reset");
        var text = new StringBuilder();
        bool finished = false;

        await foreach (StreamingChatCompletionUpdate update in chat.CompleteChatStreamingAsync([new UserChatMessage("hi")]))
        {
            text.Append(string.Concat(update.ContentUpdate.Select(p => p.Text)));
            finished |= update.FinishReason is not null;
        }

        Assert.False(finished);
        Assert.Equal("Hello from", text.ToString());
    }

    [Fact]
    public async Task UpstreamResetMidStream_Responses_GetsAnErrorEventWithTheNextSequenceNumber()
    {
        string body = await PostStreamAsync("/v1/responses", """{"model":"openai/reset","stream":true,"input":"hi"}""");

        string last = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
        Assert.StartsWith("event: error\ndata: ", last, StringComparison.Ordinal);
        using JsonDocument error = JsonDocument.Parse(last["event: error\ndata: ".Length..]);
        Assert.Equal("error", error.RootElement.GetProperty("type").GetString());
        Assert.Equal(3, error.RootElement.GetProperty("sequence_number").GetInt32());
        Assert.Equal("upstream_reset", error.RootElement.GetProperty("code").GetString());
    }

    [Fact]
    public async Task UpstreamResetMidStream_Anthropic_BillsThePartialUsageFromMessageStart()
    {
        string body = await PostStreamAsync("/v1/messages", """{"model":"anthropic/claude-sonnet-4~reset","max_tokens":5,"stream":true,"messages":[]}""");

        Assert.Contains("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\"", body, StringComparison.Ordinal);
        BillingRecord record = await Relay.Billing.SingleForAsync("anthropic/claude-sonnet-4~reset");
        Assert.Equal(ExchangeOutcome.Failed, record.Outcome);
        Assert.Equal(UsageStatus.Partial, record.Usage.Status);
        Assert.Equal(FakeStreams.AnthInput + FakeStreams.AnthCacheWrite + FakeStreams.AnthCacheRead, record.Usage.InputTokens);
        Assert.Equal((FakeStreams.AnthInput * 3.00m + FakeStreams.AnthCacheRead * 0.30m + FakeStreams.AnthCacheWrite * 3.75m + 1 * 15.00m) / 1_000_000m, record.Cost);
    }

    [Fact]
    public async Task UpstreamResetMidBody_NonStreaming_AbortsTheClientConnection()
    {
        using var request = Post("/v1/chat/completions", """{"model":"openai/reset","messages":[]}""");

        await Assert.ThrowsAnyAsync<HttpRequestException>(async () =>
        {
            using HttpResponseMessage response = await Relay.Http.SendAsync(request);
            await response.Content.ReadAsByteArrayAsync();
        });
        BillingRecord record = await Relay.Billing.SingleForAsync("openai/reset");
        Assert.Equal(ExchangeOutcome.Failed, record.Outcome);
    }

    [Theory]
    [InlineData(429)]
    [InlineData(500)]
    public async Task UpstreamErrorStatus_ReachesTheClientUnchanged(int status)
    {
        using var request = Post("/v1/chat/completions", $$"""{"model":"openai/status-{{status}}","messages":[]}""");
        using HttpResponseMessage response = await Relay.Http.SendAsync(request);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("7", response.Headers.GetValues("retry-after").Single());
        string type = status == 429 ? "rate_limit_error" : "server_error";
        Assert.Equal($$$"""{"error":{"message":"fake {{{status}}} for status-{{{status}}}","type":"{{{type}}}","param":null,"code":"fake_{{{status}}}"}}""", await response.Content.ReadAsStringAsync());
        BillingRecord record = await Relay.Billing.SingleForAsync($"openai/status-{status}");
        Assert.Equal(ExchangeOutcome.UpstreamError, record.Outcome);
        Assert.Equal(status, record.HttpStatus);
        Assert.Equal(UsageStatus.Missing, record.Usage.Status);
        Assert.Null(record.Cost);
    }

    [Fact]
    public async Task UpstreamErrorStatus_SdkSeesTheProvidersStatus()
    {
        ChatClient chat = Relay.OpenAI().GetChatClient("openai/status-429");

        ClientResultException error = await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync([new UserChatMessage("hi")]));

        Assert.Equal(429, error.Status);
    }

    [Fact]
    public async Task ClientAbortMidStream_CancelsTheUpstreamAndStillBills()
    {
        using var request = Post("/v1/chat/completions", """{"model":"openai/hang","stream":true,"messages":[]}""");
        using (HttpResponseMessage response = await Relay.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            await using Stream stream = await response.Content.ReadAsStreamAsync();
            byte[] buffer = new byte[256];
            Assert.True(await stream.ReadAsync(buffer) > 0);
        }

        string aborted = await Upstream.AbortObserved.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("hang", aborted);
        BillingRecord record = await Relay.Billing.SingleForAsync("openai/hang");
        Assert.Equal(ExchangeOutcome.ClientAborted, record.Outcome);
        Assert.Equal(EndedBy.Client, record.EndedBy);
        await WaitUntilAsync(() => Upstream.OpenStreams == 0, "the upstream stream is still open");
    }

    [Fact]
    public async Task OversizeEvent_EndsTheStreamWithEventTooLarge()
    {
        string body = await PostStreamAsync("/v1/responses", """{"model":"openai/oversize","stream":true,"input":"hi"}""");

        Assert.True(body.Length < 1024 * 1024, "the oversize event must not be relayed");
        Assert.Contains("\"code\":\"event_too_large\"", body, StringComparison.Ordinal);
        BillingRecord record = await Relay.Billing.SingleForAsync("openai/oversize");
        Assert.Equal(ExchangeOutcome.Failed, record.Outcome);
        Assert.Equal(EndedBy.Relay, record.EndedBy);
    }

    [Fact]
    public async Task StreamEndingWithoutTerminalEvent_IsReportedAsTruncated()
    {
        string body = await PostStreamAsync("/v1/responses", """{"model":"openai/truncated","stream":true,"input":"hi"}""");

        Assert.Contains("\"code\":\"upstream_truncated\"", body, StringComparison.Ordinal);
        BillingRecord record = await Relay.Billing.SingleForAsync("openai/truncated");
        Assert.Equal(ExchangeOutcome.Failed, record.Outcome);
    }

    [Fact]
    public async Task UnknownProvider_Gets400NamingTheModelAndProviders()
    {
        ChatClient chat = Relay.OpenAI().GetChatClient("nowhere/gpt-4o");

        ClientResultException error = await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync([new UserChatMessage("hi")]));

        Assert.Equal(400, error.Status);
        string body = error.GetRawResponse()!.Content.ToString();
        Assert.Contains("nowhere/gpt-4o", body, StringComparison.Ordinal);
        Assert.Contains("'openai/'", body, StringComparison.Ordinal);
        Assert.Contains("\"code\":\"model_not_found\"", body, StringComparison.Ordinal);
        Assert.Empty(Upstream.Requests);
    }

    [Fact]
    public async Task MissingProviderKey_Gets500NamingTheVariable()
    {
        using HttpResponseMessage response = await Relay.Http.SendAsync(Post("/v1/chat/completions", """{"model":"nokey/gpt-4o","messages":[]}"""));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        string body = await response.Content.ReadAsStringAsync();
        Assert.Contains("AKKAPROXY_TEST_UNSET_KEY_VAR", body, StringComparison.Ordinal);
        Assert.Contains("\"code\":\"provider_key_missing\"", body, StringComparison.Ordinal);
        Assert.Empty(Upstream.Requests);
        BillingRecord record = await Relay.Billing.SingleForAsync("nokey/gpt-4o");
        Assert.Equal(ExchangeOutcome.Rejected, record.Outcome);
        Assert.Equal(0m, record.Cost);
    }

    [Fact]
    public async Task UnreachableUpstream_Gets502InOpenAIShape()
    {
        using HttpResponseMessage response = await Relay.Http.SendAsync(Post("/v1/chat/completions", """{"model":"deadend/gpt-4o","messages":[]}"""));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("upstream_unreachable", json.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.False(response.Headers.Contains("x-should-retry"), "an unreachable upstream may come back: the client's own rules decide");
        BillingRecord record = await Relay.Billing.SingleForAsync("deadend/gpt-4o");
        Assert.Equal(ExchangeOutcome.UpstreamError, record.Outcome);
        Assert.Equal(502, record.HttpStatus);
    }

    [Fact]
    public async Task CompressedUpstreamBody_IsDecodedBeforeTheTapAndTheClient()
    {
        using HttpResponseMessage response = await Relay.Http.SendAsync(Post("/v1/chat/completions", """{"model":"openai/gzip","messages":[]}"""));

        Assert.Empty(response.Content.Headers.ContentEncoding);
        Assert.Equal(FakeStreams.ChatJson("gzip"), await response.Content.ReadAsStringAsync());
        BillingRecord record = await Relay.Billing.SingleForAsync("openai/gzip");
        Assert.Equal(UsageStatus.Reported, record.Usage.Status);
        Assert.Equal(FakeStreams.ChatPrompt, record.Usage.InputTokens);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    public async Task BadRelayKey_Gets401InOpenAIShape_AndNothingGoesUpstream(string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent("""{"model":"openai/gpt-4o","messages":[]}""", Encoding.UTF8, "application/json") };
        if (key is not null)
        {
            request.Headers.Authorization = new("Bearer", key);
        }

        using HttpResponseMessage response = await Relay.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        byte[] body = await response.Content.ReadAsByteArrayAsync();
        using JsonDocument json = JsonDocument.Parse(body);
        Assert.Equal("invalid_api_key", json.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(body.Length, response.Content.Headers.ContentLength); // sent whole, not chunked
        Assert.NotEqual(true, response.Headers.TransferEncodingChunked);
        Assert.Equal("false", response.Headers.GetValues("x-should-retry").Single()); // the same key fails the same way
        Assert.Empty(Upstream.Requests);
    }

    [Theory]
    [InlineData("nokey/gpt-4o", RelayTestHost.RelayKey, 500)] // the operator must set the variable: a 500 the SDK would retry
    [InlineData("openai/gpt-4o", "wrong-key", 401)]
    public async Task TheOfficialNodeSdk_DoesNotRetry_ARefusalThatRetryingCannotMend(string model, string key, int status)
    {
        JsonElement[] lines = await NodeScript.RunAsync("refusal-retries.mjs", new Dictionary<string, string>
        {
            ["RELAY_URL"] = Relay.BaseUrl.ToString().TrimEnd('/'),
            ["RELAY_KEY"] = key,
            ["MODEL"] = model,
        });

        JsonElement result = Assert.Single(lines);
        Assert.Equal(status, result.GetProperty("status").GetInt32());
        Assert.Equal("false", result.GetProperty("shouldRetry").GetString());
        Assert.Equal(1, result.GetProperty("attempts").GetInt32()); // maxRetries = 2: without the header, a 500 is tried 3 times
        Assert.Empty(Upstream.Requests);
    }

    [Fact]
    public async Task InvalidJsonBody_Gets400()
    {
        using HttpResponseMessage response = await Relay.Http.SendAsync(Post("/v1/chat/completions", """{"model":"openai/gpt-4o",}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"code\":\"invalid_request_body\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
