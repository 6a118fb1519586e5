using System.Diagnostics;
using AkkaProxy.Pipeline;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Diagnostics;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Usage;
using Microsoft.AspNetCore.Http;

namespace AkkaProxy.Benchmarks;

/// <summary>
/// Part of <c>--alloc-probe</c>: exact managed bytes the span hooks of one exchange allocate (start,
/// attach, traceparent onto the upstream request, stop with the billing record), with nobody
/// listening and with a listener that records every span. Run last: a listener is process-wide.
/// </summary>
public static class TracingProbe
{
    private const int Runs = 1000;

    public static void Run(ProviderRoute route)
    {
        var record = new BillingRecord
        {
            RequestId = "req_probe", Api = ApiKind.ChatCompletions, Provider = route.Provider.Name, RequestedModel = route.RequestedModel,
            UpstreamModel = route.UpstreamModel, Streaming = true, Usage = new TokenUsage { InputTokens = 12, OutputTokens = 30, Status = UsageStatus.Reported },
            Outcome = ExchangeOutcome.Completed, EndedBy = EndedBy.Upstream, StartedAt = DateTimeOffset.UnixEpoch, Duration = TimeSpan.FromSeconds(1),
        };
        IHeaderDictionary clientHeaders = new HeaderDictionary { ["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" };
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://127.0.0.1:1/v1/chat/completions");
        ProxyExchange[] exchanges = [.. Enumerable.Range(0, Runs + 5).Select(_ => new ProxyExchange("req_probe", ApiKind.ChatCompletions, route, ReadOnlyMemory<byte>.Empty, isStreaming: true, DateTimeOffset.UnixEpoch))];

        Console.WriteLine();
        Console.WriteLine("| Span hooks of one exchange | B/exchange |");
        Console.WriteLine("|---|---:|");
        Console.WriteLine($"| nobody listening | {Measure(exchanges, clientHeaders, request, record):F1} |");
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == RelayTracing.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        Console.WriteLine($"| a listener recording every span | {Measure(exchanges, clientHeaders, request, record):F1} |");
    }

    private static double Measure(ProxyExchange[] exchanges, IHeaderDictionary clientHeaders, HttpRequestMessage request, BillingRecord record)
    {
        for (int i = 0; i < 5; i++)
        {
            Hooks(exchanges[i], clientHeaders, request, record);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 5; i < exchanges.Length; i++)
        {
            Hooks(exchanges[i], clientHeaders, request, record);
        }

        return (double)(GC.GetAllocatedBytesForCurrentThread() - before) / Runs;
    }

    private static void Hooks(ProxyExchange exchange, IHeaderDictionary clientHeaders, HttpRequestMessage request, BillingRecord record)
    {
        ExchangeTracing.Attach(exchange, ExchangeTracing.StartHttp(exchange.Route, clientHeaders));
        TracePropagation.Inject(exchange.Activity, request.Headers);
        ExchangeTracing.Stop(exchange, record);
    }
}
