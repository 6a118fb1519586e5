using System.Net;
using System.Text;
using System.Text.Json;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Supervision;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaProxy.Host.Tests.Relay;

/// <summary>Custom stages in the host: one that fails on a request, one that rewrites bodies.</summary>
public sealed class CustomStageTests : RelayTestBase
{
    protected override string ExtraHocon => """
            akkaproxy.pipeline.stages = [ { factory = failing }, { factory = rewriting }, { factory = exploding } ]
            """;

    protected override void ConfigureServices(IServiceCollection services)
    {
        services.AddSingleton<IProxyStageFactory>(new Factory("failing", new FailOnRequestStage()));
        services.AddSingleton<IProxyStageFactory>(new Factory("rewriting", new DoubleEveryByteStage()));
        services.AddSingleton<IProxyStageFactory>(new Factory("exploding", new ExplodeOnResponseStage()));
    }

    [Fact]
    public async Task AStageThatThrowsOnTheRequest_Gets500InTheApisShape_AndARecord()
    {
        using HttpResponseMessage response = await Relay.Http.SendAsync(Post("/v1/chat/completions", """{"model":"openai/gpt-4o","user":"fail-here","messages":[]}"""));
        string body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        string requestId = response.Headers.GetValues(HttpRelay.RequestIdHeader).Single();
        using JsonDocument json = JsonDocument.Parse(body);
        JsonElement error = json.RootElement.GetProperty("error");
        Assert.Equal("relay_stage_failed", error.GetProperty("code").GetString());
        Assert.Contains(requestId, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(FailOnRequestStage.Secret, body, StringComparison.Ordinal);
        Assert.Empty(Upstream.Requests);
        BillingRecord record = await Relay.Billing.SingleForAsync("openai/gpt-4o");
        Assert.Equal(ExchangeOutcome.Failed, record.Outcome);
        Assert.Equal(EndedBy.Relay, record.EndedBy);
        Assert.Equal("relay_stage_failed", record.ErrorCode);
        Assert.Equal(500, record.HttpStatus);
        Assert.Equal(requestId, record.RequestId);
    }

    [Fact]
    public async Task AStageThatChangesABodyChunk_GetsItToTheClientWhole_WithoutTheUpstreamsLength()
    {
        using HttpResponseMessage response = await Relay.Http.SendAsync(Post("/v1/chat/completions", """{"model":"openai/gpt-4o","messages":[]}"""));
        string body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(DoubleEveryByteStage.Apply(FakeStreams.ChatJson("gpt-4o")), body);
        Assert.True(response.Headers.TransferEncodingChunked);
        BillingRecord record = await Relay.Billing.SingleForAsync("openai/gpt-4o");
        Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
        Assert.Equal(FakeStreams.ChatPrompt, record.Usage.InputTokens); // the tap read the upstream's bytes
    }

    [Fact]
    public async Task AStageThatThrowsOnAResponseFrame_FailsTheConnection_WhichIsClosed_AndTheNextRequestGetsANewOne()
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 1 };
        using var client = new HttpClient(handler) { BaseAddress = Relay.BaseUrl };

        using HttpResponseMessage failed = await client.SendAsync(Post("/v1/chat/completions", """{"model":"openai/gpt-4o","user":"explode","messages":[]}"""));
        string body = await failed.Content.ReadAsStringAsync();
        using HttpResponseMessage next = await client.SendAsync(Post("/v1/chat/completions", """{"model":"openai/gpt-4o","messages":[]}"""));
        await next.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.True(failed.Headers.ConnectionClose); // a failed connection is never resumed
        Assert.Contains("relay_internal_error", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        HttpRelay http = Relay.App.Services.GetRequiredService<HttpRelay>();
        Assert.Equal(2, http.Connections.GraphsMaterialized); // the next request came on a new connection, with a new graph
        BillingRecord record = await Relay.Billing.WaitForAsync(r => r.ErrorCode is "relay_internal_error" or "connection_stopped");
        Assert.Equal(ExchangeOutcome.Failed, record.Outcome);
        Assert.Equal(EndedBy.Relay, record.EndedBy);
    }

    private sealed class Factory(string name, ProxyStage stage) : IProxyStageFactory
    {
        public string Name => name;

        public ProxyStage Create(IConfiguration section) => stage;
    }

    /// <summary>Throws on a request whose body names the user "fail-here", with an internal detail in the message.</summary>
    private sealed class FailOnRequestStage : ProxyStage
    {
        public const string Secret = "10.9.8.7:4411";

        public override void OnRequest(ProxyExchange exchange)
        {
            if (Encoding.UTF8.GetString(exchange.RequestBody.Span).Contains("fail-here", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"the policy service at {Secret} is down");
            }
        }
    }

    /// <summary>Throws on the response of a request whose body names the user "explode": a bug in a frame hook.</summary>
    private sealed class ExplodeOnResponseStage : ProxyStage
    {
        public override FrameDecision OnResponseFrame(ProxyExchange exchange, ref ResponseFrame frame) =>
            Encoding.UTF8.GetString(exchange.RequestBody.Span).Contains("explode", StringComparison.Ordinal)
                ? throw new InvalidOperationException("frame hook bug")
                : FrameDecision.Forward;
    }

    /// <summary>Sends every byte of a body twice: the body doubles, so the upstream's Content-Length is wrong for it, whatever the chunking.</summary>
    private sealed class DoubleEveryByteStage : ProxyStage
    {
        public static string Apply(string body) => string.Concat(body.Select(c => $"{c}{c}"));

        public override FrameDecision OnResponseFrame(ProxyExchange exchange, ref ResponseFrame frame)
        {
            if (frame.Kind == FrameKind.BodyChunk)
            {
                byte[] chunk = System.Buffers.BuffersExtensions.ToArray(frame.Raw);
                frame = frame.WithRaw(chunk.SelectMany(b => new[] { b, b }).ToArray());
            }

            return FrameDecision.Forward;
        }
    }
}
