using System.Net;
using System.Text;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Supervision;

namespace AkkaProxy.Host.Tests.Relay;

/// <summary>The upstream response timeout (504) and the idle timeout mid-stream, with short limits configured.</summary>
public sealed class TimeoutTests : IAsyncLifetime
{
    private FakeUpstream _upstream = null!;
    private RelayTestHost _relay = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstream.StartAsync();
        _relay = await RelayTestHost.StartAsync(_upstream, "akkaproxy.pipeline { upstream-response-timeout = 300ms, idle-timeout = 1s }");
    }

    public async Task DisposeAsync()
    {
        await _relay.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task NoResponseHeadersInTime_Gets504()
    {
        using HttpResponseMessage response = await _relay.Http.SendAsync(Post("""{"model":"openai/slow-headers","messages":[]}"""));

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains("\"code\":\"upstream_timeout\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        BillingRecord record = await _relay.Billing.SingleForAsync("openai/slow-headers");
        Assert.Equal(ExchangeOutcome.UpstreamError, record.Outcome);
        Assert.Equal(504, record.HttpStatus);
    }

    [Fact]
    public async Task SilentUpstreamMidStream_EndsWithIdleTimeoutError()
    {
        using HttpResponseMessage response = await _relay.Http.SendAsync(Post("""{"model":"openai/hang","stream":true,"messages":[]}"""), HttpCompletionOption.ResponseHeadersRead);
        string body = await response.Content.ReadAsStringAsync();

        Assert.Contains("\"code\":\"idle_timeout\"", body, StringComparison.Ordinal);
        BillingRecord record = await _relay.Billing.SingleForAsync("openai/hang");
        Assert.Equal(ExchangeOutcome.Failed, record.Outcome);
        Assert.Equal(EndedBy.IdleTimeout, record.EndedBy);
        Assert.Equal("hang", await _upstream.AbortObserved.Task.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task SteadyStreamLongerThanTheIdleTimeout_IsNotCut()
    {
        // Each event arrives well inside the idle timeout; the stream as a whole outlasts it.
        using HttpResponseMessage response = await _relay.Http.SendAsync(Post("""{"model":"openai/gpt-4o~drip","stream":true,"messages":[]}"""), HttpCompletionOption.ResponseHeadersRead);
        string body = await response.Content.ReadAsStringAsync();

        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
        Assert.Contains(": keep-alive\n\n", body, StringComparison.Ordinal);
        BillingRecord record = await _relay.Billing.SingleForAsync("openai/gpt-4o~drip");
        Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
        Assert.True(record.Duration > TimeSpan.FromSeconds(1), $"stream took {record.Duration}");
    }

    private static HttpRequestMessage Post(string json)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new("Bearer", RelayTestHost.RelayKey);
        return request;
    }
}
