using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using AkkaProxy.Hosting.Ledger;
using AkkaProxy.Hosting.Observability;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaProxy.Host.Tests.Relay;

/// <summary>The relay's metrics, read with a real <see cref="MeterListener"/>: GenAI token usage and duration per request, records by outcome, gauges.</summary>
public sealed class MetricsTests : RelayTestBase
{
    [Fact]
    public async Task ARelayedRequest_IsMeasured_WithTheGenAiNames_AndItsRecordsFigures()
    {
        Meter meter = Relay.App.Services.GetRequiredService<RelayMetrics>().Meter;
        var measured = new ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using MeterListener listener = Listen(meter, measured);

        using HttpResponseMessage response = await Relay.Http.SendAsync(Post("/v1/chat/completions", """{"model":"openai/gpt-4o","messages":[]}"""));
        response.EnsureSuccessStatusCode();
        BillingRecord record = await Relay.Billing.SingleForAsync("openai/gpt-4o"); // billing delivered it to every sink, the metrics too
        listener.RecordObservableInstruments();

        var usage = measured.Where(m => m.Instrument == "gen_ai.client.token.usage" && (string?)m.Tags["gen_ai.request.model"] == "gpt-4o").ToList();
        Assert.Equal(record.Usage.InputTokens, Assert.Single(usage, m => (string?)m.Tags["gen_ai.token.type"] == "input").Value);
        Assert.Equal(record.Usage.OutputTokens, Assert.Single(usage, m => (string?)m.Tags["gen_ai.token.type"] == "output").Value);
        Assert.All(usage, m =>
        {
            Assert.Equal("chat", m.Tags["gen_ai.operation.name"]);
            Assert.Equal("openai", m.Tags["gen_ai.provider.name"]);
        });
        Assert.Equal(record.Duration.TotalSeconds, Assert.Single(measured, m => m.Instrument == "gen_ai.client.operation.duration" && (string?)m.Tags["gen_ai.request.model"] == "gpt-4o").Value, 9);
        var requests = Assert.Single(measured, m => m.Instrument == "akkaproxy.requests" && (string?)m.Tags["gen_ai.request.model"] == "gpt-4o");
        Assert.Equal("completed", requests.Tags["akkaproxy.outcome"]); // spelled as records and the ledger spell it
        Assert.Equal("upstream", requests.Tags["akkaproxy.ended_by"]);
        Assert.Contains(measured, m => m.Instrument == "akkaproxy.connections.open");
        Assert.Contains(measured, m => m.Instrument == "akkaproxy.ledger.queue");

        LedgerWriter ledger = Relay.App.Services.GetRequiredService<LedgerWriter>();
        await WaitUntilAsync(() => ledger.Acknowledged >= 1, "the record committed to the ledger");
        Assert.Contains(measured, m => m.Instrument == "akkaproxy.ledger.write.duration" && m.Value > 0);
    }

    [Fact]
    public async Task AFailedRequest_IsCountedAsAnError_WithItsSidePhaseAndType()
    {
        Meter meter = Relay.App.Services.GetRequiredService<RelayMetrics>().Meter;
        var measured = new ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using MeterListener listener = Listen(meter, measured);

        using HttpResponseMessage response = await Relay.Http.SendAsync(Post("/v1/chat/completions", """{"model":"deadend/gpt-4o","messages":[]}"""));
        Assert.Equal(System.Net.HttpStatusCode.BadGateway, response.StatusCode);
        await Relay.Billing.SingleForAsync("deadend/gpt-4o");

        var error = Assert.Single(measured, m => m.Instrument == "akkaproxy.errors");
        Assert.Equal(("upstream_unreachable", "request", "upstream"), ((string?)error.Tags["error.type"], (string?)error.Tags["akkaproxy.error.phase"], (string?)error.Tags["akkaproxy.ended_by"]));
        Assert.Equal("upstream-error", error.Tags["akkaproxy.outcome"]);
        var duration = Assert.Single(measured, m => m.Instrument == "gen_ai.client.operation.duration" && (string?)m.Tags.GetValueOrDefault("akkaproxy.provider") == "deadend");
        Assert.Equal("upstream_unreachable", duration.Tags["error.type"]); // conditionally required on a failed operation
        Assert.DoesNotContain(measured, m => m.Instrument == "akkaproxy.websocket.turns");
    }

    [Fact]
    public void TheHistograms_CarryTheConventionsBucketBoundaries_AndUnits()
    {
        Meter meter = Relay.App.Services.GetRequiredService<RelayMetrics>().Meter;
        var published = new ConcurrentDictionary<string, Instrument>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (ReferenceEquals(instrument.Meter, meter))
                {
                    published[instrument.Name] = instrument;
                }
            },
        };
        listener.Start();

        var tokens = (Histogram<long>)published["gen_ai.client.token.usage"];
        var duration = (Histogram<double>)published["gen_ai.client.operation.duration"];
        var firstChunk = (Histogram<double>)published["gen_ai.client.operation.time_to_first_chunk"];
        Assert.Equal(("{token}", "s", "s"), (tokens.Unit, duration.Unit, firstChunk.Unit));
        Assert.Equal([1L, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864], tokens.Advice!.HistogramBucketBoundaries!);
        Assert.Equal([0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92], duration.Advice!.HistogramBucketBoundaries!);
        Assert.Equal([0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0], firstChunk.Advice!.HistogramBucketBoundaries!);
    }

    [Fact]
    public async Task TimeToFirstChunk_IsRecordedForStreamsOnly_AndEveryApiIsAChatOperation()
    {
        Meter meter = Relay.App.Services.GetRequiredService<RelayMetrics>().Meter;
        var measured = new ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using MeterListener listener = Listen(meter, measured);

        using (HttpResponseMessage json = await Relay.Http.SendAsync(Post("/v1/chat/completions", """{"model":"openai/gpt-4o","messages":[]}""")))
        {
            json.EnsureSuccessStatusCode();
        }

        await PostStreamAsync("/v1/responses", """{"model":"openai/gpt-4o","stream":true,"input":"hi"}""");
        var messages = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = new StringContent("""{"model":"anthropic/claude-sonnet-4-5","max_tokens":10,"stream":true,"messages":[]}""", System.Text.Encoding.UTF8, "application/json") };
        messages.Headers.Add("x-api-key", RelayTestHost.RelayKey);
        using (HttpResponseMessage anthropic = await Relay.Http.SendAsync(messages))
        {
            anthropic.EnsureSuccessStatusCode();
            await anthropic.Content.ReadAsStringAsync();
        }

        await WaitUntilAsync(() => measured.Count(m => m.Instrument == "gen_ai.client.operation.duration" && !IsTestKits(m.Tags)) >= 3, "three durations measured");

        var durations = measured.Where(m => m.Instrument == "gen_ai.client.operation.duration" && !IsTestKits(m.Tags)).ToList();
        Assert.All(durations, m => Assert.Equal("chat", m.Tags["gen_ai.operation.name"]));
        Assert.Equal(["chat_completions", "messages", "responses"], durations.Select(m => (string)m.Tags["akkaproxy.api"]!).Order(StringComparer.Ordinal));
        Assert.Equal("anthropic", Assert.Single(durations, m => (string?)m.Tags["akkaproxy.api"] == "messages").Tags["gen_ai.provider.name"]);
        Assert.All(durations, m => Assert.False(m.Tags.ContainsKey("error.type"), "a completed request has no error.type"));

        var firstChunks = measured.Where(m => m.Instrument == "gen_ai.client.operation.time_to_first_chunk" && !IsTestKits(m.Tags)).ToList();
        Assert.Equal(["messages", "responses"], firstChunks.Select(m => (string)m.Tags["akkaproxy.api"]!).Order(StringComparer.Ordinal)); // not the JSON body
    }

    [Fact]
    public async Task ARequestRefusedBeforeItRouted_HasNoEmptyAttributes_AndItsErrorType()
    {
        Meter meter = Relay.App.Services.GetRequiredService<RelayMetrics>().Meter;
        var measured = new ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using MeterListener listener = Listen(meter, measured);

        using HttpResponseMessage response = await Relay.Http.SendAsync(Post("/v1/chat/completions", """{"model":"nowhere/gpt-4o","messages":[]}"""));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        await WaitUntilAsync(() => measured.Any(m => m.Instrument == "akkaproxy.requests" && !IsTestKits(m.Tags)), "the refusal measured");

        Assert.All(measured, m => Assert.All(m.Tags, tag => Assert.False(tag.Value is "" or null, $"{m.Instrument} has an empty {tag.Key}")));
        var duration = Assert.Single(measured, m => m.Instrument == "gen_ai.client.operation.duration" && !IsTestKits(m.Tags));
        Assert.False(duration.Tags.ContainsKey("gen_ai.provider.name"));
        Assert.False(duration.Tags.ContainsKey("gen_ai.request.model"));
        Assert.Equal("model_not_found", duration.Tags["error.type"]);
        Assert.Equal("rejected", Assert.Single(measured, m => m.Instrument == "akkaproxy.requests" && !IsTestKits(m.Tags)).Tags["akkaproxy.outcome"]);
    }

    [Fact]
    public void TheTelemetry_NamesItsService()
    {
        var resource = OpenTelemetry.Resources.ResourceBuilder.CreateEmpty();
        RelayServices.ConfigureResource(resource);

        Dictionary<string, object> attributes = resource.Build().Attributes.ToDictionary(a => a.Key, a => a.Value);
        Assert.Equal("akkaproxy", attributes["service.name"]);
        Assert.Matches(@"^\d+\.\d+\.\d+$", (string)attributes["service.version"]);
    }

    /// <summary>The test kit's own sentinel record (it checks billing is live before a test runs).</summary>
    private static bool IsTestKits(Dictionary<string, object?> tags) => (string?)tags.GetValueOrDefault("akkaproxy.provider") == "test-kit";

    private static MeterListener Listen(Meter meter, ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> measured)
    {
        var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => measured.Enqueue((instrument.Name, value, Tags(tags))));
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => measured.Enqueue((instrument.Name, value, Tags(tags))));
        listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => measured.Enqueue((instrument.Name, value, Tags(tags))));
        listener.Start();
        return listener;
    }

    private static Dictionary<string, object?> Tags(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }

        return copy;
    }
}
