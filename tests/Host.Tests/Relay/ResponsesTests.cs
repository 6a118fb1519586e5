using System.Text;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Usage;
using OpenAI.Responses;

namespace AkkaProxy.Host.Tests.Relay;

/// <summary>The Responses API through the relay, driven by the official OpenAI .NET SDK.</summary>
public sealed class ResponsesTests : RelayTestBase
{

    [Fact]
    public async Task NonStreaming_ReturnsOutputAndBillsCachedAndReasoningTokens()
    {
        ResponsesClient responses = Relay.OpenAI().GetResponsesClient();

        ResponseResult result = await responses.CreateResponseAsync("openai/gpt-4o", "hi", previousResponseId: null);

        Assert.Equal(FakeUpstream.Text, result.GetOutputText());
        Assert.Equal(FakeStreams.RespInput, result.Usage.InputTokenCount);
        BillingRecord record = await Relay.Billing.SingleForAsync("openai/gpt-4o");
        Assert.Equal(ApiKind.Responses, record.Api);
        Assert.False(record.Streaming);
        Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
        Assert.Equal(FakeStreams.ResponseId, record.ResponseId);
        AssertResponsesUsage(record.Usage);
        Assert.Equal(((FakeStreams.RespInput - FakeStreams.RespCached) * 2.50m + FakeStreams.RespCached * 1.25m + FakeStreams.RespOutput * 10.00m) / 1_000_000m, record.Cost);
    }

    [Fact]
    public async Task Streaming_DeliversEveryEventAndBillsFromResponseCompleted()
    {
        ResponsesClient responses = Relay.OpenAI().GetResponsesClient();
        var text = new StringBuilder();
        ResponseResult? completed = null;

        await foreach (StreamingResponseUpdate update in await responses.CreateResponseStreamingAsync("openai/gpt-4o", "hi", previousResponseId: null))
        {
            if (update is StreamingResponseOutputTextDeltaUpdate delta)
            {
                text.Append(delta.Delta);
            }
            else if (update is StreamingResponseCompletedUpdate done)
            {
                completed = done.Response;
            }
        }

        Assert.Equal(FakeUpstream.Text, text.ToString());
        Assert.NotNull(completed);
        Assert.DoesNotContain("stream_options", Upstream.LastRequest.BodyText, StringComparison.Ordinal);
        BillingRecord record = await Relay.Billing.SingleForAsync("openai/gpt-4o");
        Assert.True(record.Streaming);
        Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
        Assert.Equal("gpt-4o", record.ResponseModel);
        AssertResponsesUsage(record.Usage);
        Assert.Equal(completed.Usage.OutputTokenDetails.ReasoningTokenCount, record.Usage.ReasoningTokens);
    }

    [Fact]
    public async Task Streaming_BytesReachTheClientUnchanged()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/responses")
        {
            Content = new StringContent("""{"model":"openai/gpt-4o","input":"hi","stream":true}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", RelayTestHost.RelayKey);

        using HttpResponseMessage response = await Relay.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        string body = await response.Content.ReadAsStringAsync();

        Assert.Equal(string.Concat(FakeStreams.Responses("gpt-4o")), body);
    }

    private static void AssertResponsesUsage(TokenUsage usage)
    {
        Assert.Equal(UsageStatus.Reported, usage.Status);
        Assert.Equal(FakeStreams.RespInput, usage.InputTokens);
        Assert.Equal(FakeStreams.RespCached, usage.CachedInputTokens);
        Assert.Equal(FakeStreams.RespOutput, usage.OutputTokens);
        Assert.Equal(FakeStreams.RespReasoning, usage.ReasoningTokens);
    }
}
