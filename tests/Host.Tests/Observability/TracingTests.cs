using System.Diagnostics;
using System.Net;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;

namespace AkkaProxy.Host.Tests.Observability;

/// <summary>
/// The relay's spans, read with a real <see cref="ActivityListener"/> on real Kestrel against the fake
/// upstream: one span per exchange and per WebSocket turn, its GenAI attributes and the usage of its
/// billing record, and its context on the upstream request (traceparent) and upgrade.
/// </summary>
public sealed class TracingTests : RelayTestBase, IDisposable
{
    private const string Create = """{"type":"response.create","model":"openai/gpt-4o","store":false,"input":"Say hi","tools":[]}""";

    private readonly SpanCollector _spans = new();

    public void Dispose() => _spans.Dispose();

    [Fact]
    public async Task AChatStream_IsOneClientSpan_WithTheGenAiAttributesAndItsRecordsUsage_AndTheUpstreamIsItsChild()
    {
        await PostStreamAsync("/v1/chat/completions", """{"model":"openai/gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}""");
        BillingRecord record = await Relay.Billing.SingleForAsync("openai/gpt-4o");

        Activity span = _spans.Single(record.RequestId);
        Assert.Equal("chat gpt-4o", span.DisplayName);
        Assert.Equal(ActivityKind.Client, span.Kind);
        Assert.Equal(ActivityStatusCode.Unset, span.Status);
        Assert.Equal("chat", span.GetTagItem("gen_ai.operation.name"));
        Assert.Equal("openai", span.GetTagItem("gen_ai.provider.name"));
        Assert.Equal("gpt-4o", span.GetTagItem("gen_ai.request.model"));
        Assert.NotNull(record.ResponseModel);
        Assert.Equal(record.ResponseModel, span.GetTagItem("gen_ai.response.model"));
        Assert.Equal(record.Usage.InputTokens, span.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.Equal(record.Usage.OutputTokens, span.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.Equal(record.Usage.CachedInputTokens, span.GetTagItem("gen_ai.usage.cache_read.input_tokens"));
        Assert.True(record.Usage.InputTokens > 0 && record.Usage.OutputTokens > 0);
        Assert.Equal(Upstream.BaseUrl.Host, span.GetTagItem("server.address"));
        Assert.Equal(Upstream.BaseUrl.Port, span.GetTagItem("server.port"));
        Assert.Equal("team-a", span.GetTagItem("akkaproxy.key_id"));
        Assert.Equal("completed", span.GetTagItem("akkaproxy.outcome"));
        Assert.Equal("chat_completions", span.GetTagItem("akkaproxy.api"));
        Assert.DoesNotContain(span.Tags, tag => tag.Value is { } value && value.Contains(RelayTestHost.RelayKey, StringComparison.Ordinal));

        (string traceId, string parentId) = TraceParent(Upstream.LastRequest.Headers["traceparent"]);
        Assert.Equal(span.TraceId.ToHexString(), traceId);
        Assert.Equal(span.SpanId.ToHexString(), parentId);
    }

    [Fact]
    public async Task AClientTraceparent_MakesTheSpanItsDescendant_AndTheUpstreamGetsTheRelaysSpanInstead()
    {
        var clientTrace = ActivityTraceId.CreateRandom();
        var clientSpan = ActivitySpanId.CreateRandom();
        string clientParent = $"00-{clientTrace.ToHexString()}-{clientSpan.ToHexString()}-01";
        using HttpRequestMessage request = Post("/v1/chat/completions", """{"model":"openai/gpt-4o","messages":[]}""");
        request.Headers.Add("traceparent", clientParent);
        request.Headers.Add("tracestate", "vendor=client");
        using HttpResponseMessage response = await Relay.Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        BillingRecord record = await Relay.Billing.SingleForAsync("openai/gpt-4o");

        Activity span = _spans.Single(record.RequestId);
        Assert.Equal(clientTrace, span.TraceId);
        Assert.Contains(Ancestors(span), ancestor => ancestor == clientSpan);
        RecordedRequest upstream = Upstream.LastRequest;
        Assert.NotEqual(clientParent, upstream.Headers["traceparent"]);
        (string traceId, string parentId) = TraceParent(upstream.Headers["traceparent"]);
        Assert.Equal(clientTrace.ToHexString(), traceId);
        Assert.Equal(span.SpanId.ToHexString(), parentId);
        Assert.Equal("vendor=client", upstream.Headers["tracestate"]); // the trace's vendor state, carried by the relay's span
    }

    [Fact]
    public async Task ThreeTurnsOnOneSocket_AreThreeSpans_AndTheUpstreamUpgradeCarriesTheFirstTurnsContext()
    {
        await using (RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl))
        {
            for (int turn = 1; turn <= 3; turn++)
            {
                await socket.SendAsync(Create);
                await socket.ReceiveUntilAsync("response.completed");
            }
        }

        BillingRecord[] records = [.. await Task.WhenAll(Enumerable.Range(1, 3).Select(n => Relay.Billing.WaitForAsync(r => r.Turn == n)))];
        Activity[] turns = [.. records.Select(record => _spans.Single(record.RequestId))];
        for (int n = 1; n <= 3; n++)
        {
            Activity span = turns[n - 1];
            BillingRecord record = records[n - 1];
            (int input, int cached, int output, _) = FakeResponsesSocket.Usage(n);
            Assert.Equal("chat gpt-4o", span.DisplayName);
            Assert.Equal(ActivityKind.Client, span.Kind);
            Assert.Equal(n, span.GetTagItem("akkaproxy.websocket.turn"));
            Assert.Equal("responses", span.GetTagItem("akkaproxy.api"));
            Assert.Equal((long)input, span.GetTagItem("gen_ai.usage.input_tokens"));
            Assert.Equal((long)cached, span.GetTagItem("gen_ai.usage.cache_read.input_tokens"));
            Assert.Equal((long)output, span.GetTagItem("gen_ai.usage.output_tokens"));
            Assert.Equal(record.ResponseId, span.GetTagItem("gen_ai.response.id"));
        }

        // All three are children of the upgrade request's activity: one trace, one parent.
        Assert.Single(turns.Select(span => span.TraceId).Distinct());
        Assert.Single(turns.Select(span => span.ParentSpanId).Distinct());
        Assert.NotEqual(default, turns[0].ParentSpanId);
        IReadOnlyDictionary<string, string> upgrade = Assert.Single(Upstream.Socket.Handshakes);
        (string traceId, string parentId) = TraceParent(upgrade["traceparent"]);
        Assert.Equal(turns[0].TraceId.ToHexString(), traceId);
        Assert.Equal(turns[0].SpanId.ToHexString(), parentId);
    }

    [Fact]
    public async Task AFailedUpstream_EndsItsSpanWithError_AndSaysWhichSideAndPhase()
    {
        using (HttpResponseMessage unreachable = await Relay.Http.SendAsync(Post("/v1/chat/completions", """{"model":"deadend/gpt-4o","messages":[]}""")))
        {
            Assert.Equal(HttpStatusCode.BadGateway, unreachable.StatusCode);
        }

        await PostStreamAsync("/v1/chat/completions", """{"model":"openai/reset","stream":true,"messages":[]}""");
        Activity dial = _spans.Single((await Relay.Billing.SingleForAsync("deadend/gpt-4o")).RequestId);
        Activity reset = _spans.Single((await Relay.Billing.SingleForAsync("openai/reset")).RequestId);

        Assert.Equal(ActivityStatusCode.Error, dial.Status);
        Assert.Equal("upstream_unreachable", dial.StatusDescription);
        Assert.Equal("upstream_unreachable", dial.GetTagItem("error.type"));
        Assert.Equal("upstream", dial.GetTagItem("akkaproxy.error.side"));
        Assert.Equal("request", dial.GetTagItem("akkaproxy.error.phase"));
        Assert.Equal("openai", dial.GetTagItem("gen_ai.provider.name")); // its kind's well-known name
        Assert.Equal("deadend", dial.GetTagItem("akkaproxy.provider"));     // the configured one
        Assert.Equal(9, dial.GetTagItem("server.port"));

        Assert.Equal(ActivityStatusCode.Error, reset.Status);
        Assert.Equal("upstream_reset", reset.GetTagItem("error.type"));
        Assert.Equal("upstream", reset.GetTagItem("akkaproxy.error.side"));
        Assert.Equal("response", reset.GetTagItem("akkaproxy.error.phase"));
        Assert.Equal("failed", reset.GetTagItem("akkaproxy.outcome"));
    }

    [Fact]
    public async Task AWebSocketTurnWhoseUpstreamCannotBeDialled_EndsItsSpanWithError()
    {
        await using (RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl))
        {
            await socket.SendAsync(Create.Replace("openai/gpt-4o", "deadend/gpt-4o", StringComparison.Ordinal));
            await socket.ReceiveUntilAsync("error");
        }

        Activity span = _spans.Single((await Relay.Billing.WaitForAsync(r => r.RequestedModel == "deadend/gpt-4o")).RequestId);
        Assert.Equal("chat gpt-4o", span.DisplayName);
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        Assert.Equal("upstream_unreachable", span.GetTagItem("error.type"));
        Assert.Equal("upstream", span.GetTagItem("akkaproxy.error.side"));
        Assert.Equal("request", span.GetTagItem("akkaproxy.error.phase"));
        Assert.Equal("responses", span.GetTagItem("akkaproxy.api"));
    }

    /// <summary>The trace id and parent id of a W3C <c>traceparent</c> (version 00).</summary>
    private static (string TraceId, string ParentId) TraceParent(string header)
    {
        string[] parts = header.Split('-');
        Assert.Equal(4, parts.Length);
        Assert.Equal("00", parts[0]);
        return (parts[1], parts[2]);
    }

    /// <summary>The span ids above a span, its remote parent's included.</summary>
    private static IEnumerable<ActivitySpanId> Ancestors(Activity span)
    {
        for (Activity? current = span; current is not null; current = current.Parent)
        {
            yield return current.ParentSpanId;
        }
    }
}
