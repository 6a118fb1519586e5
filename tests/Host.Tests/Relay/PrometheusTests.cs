using System.Net;
using AkkaProxy.Host.Tests.TestKit;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace AkkaProxy.Host.Tests.Relay;

/// <summary>The opt-in Prometheus scrape endpoint serves the relay's metrics.</summary>
public sealed class PrometheusTests : RelayTestBase
{
    protected override string ExtraHocon => "akkaproxy.observability.prometheus = true";

    [Fact]
    public async Task TheScrapeEndpoint_ServesTheGenAiTokenUsage_OfARelayedRequest()
    {
        using HttpResponseMessage relayed = await Relay.Http.SendAsync(Post("/v1/chat/completions", """{"model":"openai/gpt-4o","messages":[]}"""));
        relayed.EnsureSuccessStatusCode();
        await Relay.Billing.SingleForAsync("openai/gpt-4o");

        using HttpResponseMessage response = await Relay.Http.GetAsync("/metrics");
        string body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("gen_ai_client_token_usage", body, StringComparison.Ordinal);
        Assert.Contains("gen_ai_request_model=\"gpt-4o\"", body, StringComparison.Ordinal);
        Assert.Contains("akkaproxy_requests", body, StringComparison.Ordinal);
    }

    [Fact]
    public void PrometheusAlone_ExportsNoSpans()
    {
        // Spans go over OTLP only: a scrape endpoint has nowhere to put them.
        Assert.Null(Relay.App.Services.GetService<TracerProvider>());
    }
}

/// <summary>Without the setting there is no scrape endpoint.</summary>
public sealed class NoPrometheusTests : RelayTestBase
{
    [Fact]
    public async Task ByDefault_ThereIsNoScrapeEndpoint()
    {
        using HttpResponseMessage response = await Relay.Http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
