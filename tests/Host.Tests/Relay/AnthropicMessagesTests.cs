using System.Text;
using System.Text.Json;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Host.Tests.Relay;

/// <summary>Anthropic Messages through the relay (raw HTTP as the Anthropic SDK sends it: x-api-key, anthropic-version).</summary>
public sealed class AnthropicMessagesTests : RelayTestBase
{

    [Fact]
    public async Task Streaming_UsesMessageStartAndLastMessageDelta_AndBillsCacheWrites()
    {
        string body = await PostAsync("""{"model":"anthropic/claude-sonnet-4","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal(string.Concat(FakeStreams.Messages("claude-sonnet-4")), body);
        RecordedRequest sent = Upstream.LastRequest;
        Assert.Equal(RelayTestHost.AnthropicUpstreamKey, sent.Headers["x-api-key"]);
        Assert.Equal("2023-06-01", sent.Headers["anthropic-version"]);
        Assert.False(sent.Headers.ContainsKey("Authorization"));
        Assert.DoesNotContain("stream_options", sent.BodyText, StringComparison.Ordinal);
        BillingRecord record = await Relay.Billing.SingleForAsync("anthropic/claude-sonnet-4");
        Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
        AssertAnthropicUsage(record);
    }

    [Fact]
    public async Task NonStreaming_BillsTheBodyUsage()
    {
        string body = await PostAsync("""{"model":"claude-sonnet-4","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}""");

        using JsonDocument json = JsonDocument.Parse(body);
        Assert.Equal(FakeUpstream.Text, json.RootElement.GetProperty("content")[0].GetProperty("text").GetString());
        BillingRecord record = await Relay.Billing.SingleForAsync("claude-sonnet-4");
        Assert.Equal("anthropic", record.Provider);
        Assert.Equal(FakeStreams.MessageId, record.ResponseId);
        AssertAnthropicUsage(record);
    }

    [Fact]
    public async Task UnknownModel_GetsAnAnthropicShapedError()
    {
        using var request = Request("""{"model":"nowhere/claude","max_tokens":1,"messages":[]}""");
        using HttpResponseMessage response = await Relay.Http.SendAsync(request);

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("error", json.RootElement.GetProperty("type").GetString());
        Assert.Equal("invalid_request_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains("nowhere/claude", json.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    private static void AssertAnthropicUsage(BillingRecord record)
    {
        TokenUsage usage = record.Usage;
        Assert.Equal(UsageStatus.Reported, usage.Status);
        Assert.Equal(FakeStreams.AnthInput + FakeStreams.AnthCacheWrite + FakeStreams.AnthCacheRead, usage.InputTokens);
        Assert.Equal(FakeStreams.AnthCacheRead, usage.CachedInputTokens);
        Assert.Equal(FakeStreams.AnthCacheWrite, usage.CacheWriteTokens);
        Assert.Equal(FakeStreams.AnthOutput, usage.OutputTokens);
        decimal expected = (FakeStreams.AnthInput * 3.00m + FakeStreams.AnthCacheRead * 0.30m + FakeStreams.AnthCacheWrite * 3.75m + FakeStreams.AnthOutput * 15.00m) / 1_000_000m;
        Assert.Equal(expected, record.Cost);
    }

    private async Task<string> PostAsync(string json)
    {
        using HttpRequestMessage request = Request(json);
        using HttpResponseMessage response = await Relay.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private static HttpRequestMessage Request(string json)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Add("x-api-key", RelayTestHost.RelayKey);
        request.Headers.Add("anthropic-version", "2023-06-01");
        return request;
    }
}
