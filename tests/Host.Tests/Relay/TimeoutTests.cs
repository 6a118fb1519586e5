using System.Net;
using System.Text;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Supervision;

namespace AkkaProxy.Host.Tests.Relay;

/// <summary>The upstream response timeout (504) and the idle timeout mid-stream, with short limits configured.</summary>
public sealed class TimeoutTests : RelayTestBase
{
    protected override string ExtraHocon => "akkaproxy.pipeline { upstream-response-timeout = 2s, idle-timeout = 3s }";

    [Fact]
    public async Task NoResponseHeadersInTime_Gets504()
    {
        using HttpResponseMessage response = await Relay.Http.SendAsync(Post("/v1/chat/completions", """{"model":"openai/slow-headers","messages":[]}"""));

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains("\"code\":\"upstream_timeout\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        BillingRecord record = await Relay.Billing.SingleForAsync("openai/slow-headers");
        Assert.Equal(ExchangeOutcome.UpstreamError, record.Outcome);
        Assert.Equal(504, record.HttpStatus);
    }

    [Fact]
    public async Task SilentUpstreamMidStream_EndsWithIdleTimeoutError()
    {
        using HttpResponseMessage response = await Relay.Http.SendAsync(Post("/v1/chat/completions", """{"model":"openai/hang","stream":true,"messages":[]}"""), HttpCompletionOption.ResponseHeadersRead);
        string body = await response.Content.ReadAsStringAsync();

        Assert.Contains("\"code\":\"idle_timeout\"", body, StringComparison.Ordinal);
        BillingRecord record = await Relay.Billing.SingleForAsync("openai/hang");
        Assert.Equal(ExchangeOutcome.Failed, record.Outcome);
        Assert.Equal(EndedBy.IdleTimeout, record.EndedBy);
        Assert.Equal("hang", await Upstream.AbortObserved.Task.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task SteadyStreamLongerThanTheIdleTimeout_IsNotCut()
    {
        // Each event arrives well inside the idle timeout; the stream as a whole outlasts it.
        using HttpResponseMessage response = await Relay.Http.SendAsync(Post("/v1/chat/completions", """{"model":"openai/gpt-4o~drip","stream":true,"messages":[]}"""), HttpCompletionOption.ResponseHeadersRead);
        string body = await response.Content.ReadAsStringAsync();

        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
        Assert.Contains(": keep-alive\n\n", body, StringComparison.Ordinal);
        BillingRecord record = await Relay.Billing.SingleForAsync("openai/gpt-4o~drip");
        Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
        Assert.True(record.Duration > TimeSpan.FromSeconds(3), $"stream took {record.Duration}");
    }
}
