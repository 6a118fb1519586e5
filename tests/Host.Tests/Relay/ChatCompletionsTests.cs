using System.Text.Json;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Usage;
using OpenAI.Chat;

namespace AkkaProxy.Host.Tests.Relay;

/// <summary>Chat Completions through the relay, driven by the official OpenAI .NET SDK.</summary>
public sealed class ChatCompletionsTests : RelayTestBase
{

    [Fact]
    public async Task NonStreaming_ReturnsContentAndBillsReportedUsage()
    {
        ChatClient chat = Relay.OpenAI().GetChatClient("openai/gpt-4o");

        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("hi")]);

        Assert.Equal(FakeUpstream.Text, completion.Content[0].Text);
        Assert.Equal(FakeStreams.ChatPrompt, completion.Usage.InputTokenCount);
        BillingRecord record = await Relay.Billing.SingleForAsync("openai/gpt-4o");
        Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
        Assert.False(record.Streaming);
        Assert.Equal("openai", record.Provider);
        Assert.Equal("gpt-4o", record.UpstreamModel);
        Assert.Equal("team-a", record.KeyId);
        Assert.Equal(FakeStreams.ChatId, record.ResponseId);
        AssertChatUsage(record.Usage);
        // (1200-1024)*2.5 + 1024*1.25 + 300*10 per million.
        Assert.Equal((176 * 2.50m + 1024 * 1.25m + 300 * 10.00m) / 1_000_000m, record.Cost);
    }

    [Fact]
    public async Task Streaming_Sdk_GetsTextAndTheSameUsageTheRelayBills()
    {
        ChatClient chat = Relay.OpenAI().GetChatClient("openai/gpt-4o");
        var text = new System.Text.StringBuilder();
        ChatTokenUsage? sdkUsage = null;

        // The .NET SDK asks for include_usage itself, so it receives the usage chunk.
        await foreach (StreamingChatCompletionUpdate update in chat.CompleteChatStreamingAsync([new UserChatMessage("hi")], new ChatCompletionOptions()))
        {
            text.Append(string.Concat(update.ContentUpdate.Select(p => p.Text)));
            sdkUsage ??= update.Usage;
        }

        Assert.Equal(FakeUpstream.Text, text.ToString());
        using JsonDocument sent = JsonDocument.Parse(Upstream.LastRequest.Body);
        Assert.Equal("gpt-4o", sent.RootElement.GetProperty("model").GetString());
        Assert.True(sent.RootElement.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
        BillingRecord record = await Relay.Billing.SingleForAsync("openai/gpt-4o");
        Assert.True(record.Streaming);
        Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
        AssertChatUsage(record.Usage);
        Assert.NotNull(record.TimeToFirstByte);
        Assert.NotNull(sdkUsage);
        Assert.Equal(record.Usage.InputTokens, sdkUsage.InputTokenCount);
        Assert.Equal(record.Usage.OutputTokens, sdkUsage.OutputTokenCount);
        Assert.Equal(record.Usage.CachedInputTokens, sdkUsage.InputTokenDetails.CachedTokenCount);
    }

    [Fact]
    public async Task Streaming_RawBytes_ClientWithoutUsageNeverSeesTheUsageChunk()
    {
        string body = """{"model":"openai/gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}""";
        string text = await PostStreamAsync("/v1/chat/completions", body);

        Assert.DoesNotContain("\"choices\":[],\"usage\"", text, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\n\n", text, StringComparison.Ordinal);
        string expected = string.Concat(FakeStreams.Chat("gpt-4o", includeUsage: true).Where(e => !e.Contains("\"choices\":[],", StringComparison.Ordinal)));
        Assert.Equal(expected, text);
    }

    [Fact]
    public async Task Streaming_ClientAskedForUsage_GetsItUnchanged()
    {
        string body = """{"model":"openai/gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}""";
        string text = await PostStreamAsync("/v1/chat/completions", body);

        Assert.Equal(string.Concat(FakeStreams.Chat("gpt-4o", includeUsage: true)), text);
        BillingRecord record = await Relay.Billing.SingleForAsync("openai/gpt-4o");
        AssertChatUsage(record.Usage);
    }

    [Fact]
    public async Task Streaming_ProviderWithoutStreamOptions_IsNotInjectedAndUsageIsMissing()
    {
        string body = """{"model":"compat/llama","stream":true,"messages":[{"role":"user","content":"hi"}]}""";
        string text = await PostStreamAsync("/v1/chat/completions", body);

        Assert.Contains("\"finish_reason\":\"stop\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("stream_options", Upstream.LastRequest.BodyText, StringComparison.Ordinal);
        Assert.Equal("tagged", Upstream.LastRequest.Headers["X-Compat-Tag"]);
        BillingRecord record = await Relay.Billing.SingleForAsync("compat/llama");
        Assert.Equal(UsageStatus.Missing, record.Usage.Status);
        Assert.Null(record.Cost);
        Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
    }

    [Fact]
    public async Task Request_KeepsEveryByteButTheModel_AndSwapsCredentials()
    {
        string body = "{ \"messages\": [{\"role\":\"user\",\"content\":\"caf\\u00e9 \u00fc\"}],\n  \"temperature\": 1.50, \"model\" : \"openai/gpt-4o\", \"n\":1e0 }";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new("Bearer", RelayTestHost.RelayKey);
        request.Headers.Add("OpenAI-Beta", "assistants=v2");
        request.Headers.Add("Cookie", "session=secret");

        using HttpResponseMessage response = await Relay.Http.SendAsync(request);

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        RecordedRequest sent = Upstream.LastRequest;
        Assert.Equal(body.Replace("\"openai/gpt-4o\"", "\"gpt-4o\"", StringComparison.Ordinal), sent.BodyText);
        Assert.Equal($"Bearer {RelayTestHost.OpenAIUpstreamKey}", sent.Headers["Authorization"]);
        Assert.DoesNotContain(sent.Headers.Values, v => v.Contains(RelayTestHost.RelayKey, StringComparison.Ordinal));
        Assert.False(sent.Headers.ContainsKey("Cookie"));
        Assert.Equal("assistants=v2", sent.Headers["OpenAI-Beta"]);
        Assert.Equal("identity", sent.Headers["Accept-Encoding"]);
        Assert.True(response.Headers.Contains("x-akkaproxy-request-id"));
    }

    [Fact]
    public async Task UnprefixedModel_RoutesThroughTheModelMap()
    {
        ChatClient chat = Relay.OpenAI().GetChatClient("gpt-4o");

        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("hi")]);

        Assert.Equal(FakeUpstream.Text, completion.Content[0].Text);
        BillingRecord record = await Relay.Billing.SingleForAsync("gpt-4o");
        Assert.Equal("openai", record.Provider);
        Assert.Equal("gpt-4o", record.UpstreamModel);
    }


    private static void AssertChatUsage(TokenUsage usage)
    {
        Assert.Equal(UsageStatus.Reported, usage.Status);
        Assert.Equal(FakeStreams.ChatPrompt, usage.InputTokens);
        Assert.Equal(FakeStreams.ChatCached, usage.CachedInputTokens);
        Assert.Equal(FakeStreams.ChatCompletion, usage.OutputTokens);
        Assert.Equal(FakeStreams.ChatReasoning, usage.ReasoningTokens);
        Assert.Equal(FakeStreams.ChatPrompt + FakeStreams.ChatCompletion, usage.TotalTokens);
    }
}
