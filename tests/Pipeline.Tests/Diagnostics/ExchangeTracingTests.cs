using System.Diagnostics;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Diagnostics;
using AkkaProxy.Pipeline.Tests.TestKit;
using AkkaProxy.Pipeline.Usage;
using Microsoft.AspNetCore.Http;

namespace AkkaProxy.Pipeline.Tests.Diagnostics;

/// <summary>
/// The span hooks on their own: with nobody listening they create nothing and allocate nothing;
/// with a listener the span takes the client's context as parent, puts its own on the upstream
/// request and upgrade in place of the client's, and ends with its record's figures. The only
/// listener of this test process is the one here (listeners are process-wide).
/// </summary>
public sealed class ExchangeTracingTests
{
    private const string ClientParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    [Fact]
    public void NobodyListening_TheHooksCreateNoSpan_AndAllocateNothing()
    {
        ProxyExchange exchange = Exchanges.Create(ApiKind.ChatCompletions, "{}");
        IHeaderDictionary clientHeaders = new HeaderDictionary { ["traceparent"] = ClientParent };
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://127.0.0.1:1/v1/chat/completions");
        request.Headers.TryAddWithoutValidation("traceparent", ClientParent);
        IReadOnlyList<KeyValuePair<string, string>> upgrade = [new("OpenAI-Beta", "responses=v1")];
        BillingRecord record = Record(exchange);
        Assert.False(RelayTracing.Source.HasListeners());

        Hooks(exchange, clientHeaders, request, upgrade, record); // warm: static initialisation is not the path's
        long before = GC.GetAllocatedBytesForCurrentThread();
        IReadOnlyList<KeyValuePair<string, string>> sent = Hooks(exchange, clientHeaders, request, upgrade, record);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Null(exchange.Activity);
        Assert.Same(upgrade, sent);
        Assert.Equal(ClientParent, Assert.Single(request.Headers.GetValues("traceparent"))); // no span: the client's goes on as it came
    }

    [Fact]
    public void WithAListener_TheSpanIsTheClientsChild_ReplacesItsTraceparentUpstream_AndEndsWithItsRecord()
    {
        var ended = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == RelayTracing.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = ended.Add,
        };
        ActivitySource.AddActivityListener(listener);
        ProxyExchange exchange = Exchanges.Create(ApiKind.ChatCompletions, "{}");
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://127.0.0.1:1/v1/chat/completions");
        request.Headers.TryAddWithoutValidation("traceparent", ClientParent);
        request.Headers.TryAddWithoutValidation("tracestate", "client=1");

        Activity? span = ExchangeTracing.StartHttp(exchange.Route, new HeaderDictionary { ["traceparent"] = ClientParent });
        ExchangeTracing.Attach(exchange, span);
        TracePropagation.Inject(exchange.Activity, request.Headers);
        IReadOnlyList<KeyValuePair<string, string>> upgrade = TracePropagation.WithTraceContext(
            [new("OpenAI-Beta", "responses=v1"), new("traceparent", ClientParent)], span);
        ExchangeTracing.Stop(exchange, Record(exchange) with { ErrorCode = "upstream_reset", Outcome = ExchangeOutcome.Failed, TimeToFirstByte = TimeSpan.FromMilliseconds(5) });

        Assert.NotNull(span);
        Assert.Same(span, Assert.Single(ended));
        Assert.Null(exchange.Activity);
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", span.TraceId.ToHexString());
        Assert.Equal("b7ad6b7169203331", span.ParentSpanId.ToHexString());
        string expected = $"00-{span.TraceId.ToHexString()}-{span.SpanId.ToHexString()}-01";
        Assert.Equal(expected, Assert.Single(request.Headers.GetValues("traceparent")));
        Assert.False(request.Headers.Contains("tracestate")); // the client's state went with its parent id: the span has none
        Assert.Equal([new("OpenAI-Beta", "responses=v1"), new("traceparent", expected)], upgrade);
        Assert.Equal("req_test", span.GetTagItem("akkaproxy.request_id"));
        Assert.Equal(12L, span.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        Assert.Equal("response", span.GetTagItem("akkaproxy.error.phase"));
    }

    private static IReadOnlyList<KeyValuePair<string, string>> Hooks(ProxyExchange exchange, IHeaderDictionary clientHeaders, HttpRequestMessage request, IReadOnlyList<KeyValuePair<string, string>> upgrade, BillingRecord record)
    {
        ExchangeTracing.Attach(exchange, ExchangeTracing.StartHttp(exchange.Route, clientHeaders));
        ExchangeTracing.Attach(exchange, ExchangeTracing.StartTurn(exchange.Route, ExchangeTracing.CurrentContext()));
        TracePropagation.Inject(exchange.Activity, request.Headers);
        IReadOnlyList<KeyValuePair<string, string>> sent = TracePropagation.WithTraceContext(upgrade, exchange.Activity);
        ExchangeTracing.Stop(exchange, record);
        ExchangeTracing.Abandon(null, "session_ended");
        return sent;
    }

    private static BillingRecord Record(ProxyExchange exchange) => new()
    {
        RequestId = exchange.RequestId,
        Api = exchange.Api,
        Provider = exchange.Provider.Name,
        RequestedModel = exchange.Route.RequestedModel,
        UpstreamModel = exchange.Route.UpstreamModel,
        Streaming = false,
        Usage = new TokenUsage { InputTokens = 12, OutputTokens = 3, Status = UsageStatus.Reported },
        Outcome = ExchangeOutcome.Completed,
        EndedBy = EndedBy.Upstream,
        StartedAt = DateTimeOffset.UnixEpoch,
        Duration = TimeSpan.FromSeconds(1),
    };
}
