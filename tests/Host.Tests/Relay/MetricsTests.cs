using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using AkkaProxy.Host.Ledger;
using AkkaProxy.Host.Observability;
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
        Assert.Equal("Completed", requests.Tags["akkaproxy.outcome"]);
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
        Assert.Equal(("upstream_unreachable", "request", "Upstream"), ((string?)error.Tags["error.type"], (string?)error.Tags["akkaproxy.error.phase"], (string?)error.Tags["akkaproxy.ended_by"]));
        Assert.DoesNotContain(measured, m => m.Instrument == "akkaproxy.websocket.turns");
    }

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
