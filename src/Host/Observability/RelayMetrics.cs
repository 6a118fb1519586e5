using System.Diagnostics;
using System.Diagnostics.Metrics;
using AkkaProxy.Host.Ledger;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Supervision;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Host.Observability;

/// <summary>
/// The relay's metrics through <c>System.Diagnostics.Metrics</c> (meter <c>AkkaProxy.Relay</c>), with
/// the OpenTelemetry GenAI semantic-convention names where one exists: token usage by type, operation
/// duration, time to first chunk; and the relay's own: records by outcome and side, open
/// connections and WebSocket sessions, the ledger's queue. Recorded from billing records, off the
/// data path (it is a billing sink), so a stream never pays for it.
/// </summary>
internal sealed class RelayMetrics : IBillingSink, IDisposable
{
    /// <summary>The meter's name, for an OpenTelemetry <c>AddMeter</c> or a <see cref="MeterListener"/>.</summary>
    public const string MeterName = "AkkaProxy.Relay";

    private readonly Meter _meter;
    private readonly Histogram<long> _tokenUsage;
    private readonly Counter<long> _tokens;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _timeToFirstChunk;
    private readonly Counter<long> _records;
    private readonly Counter<long> _turns;
    private readonly Counter<long> _keyRefusals;
    private readonly Counter<long> _errors;

    /// <remarks>The relays are resolved when a gauge is read: they depend on billing, whose sinks include this.</remarks>
    public RelayMetrics(IMeterFactory meters, IServiceProvider services)
    {
        Lazy<HttpRelay> http = new(services.GetRequiredService<HttpRelay>);
        Lazy<WebSocketRelay> sockets = new(services.GetRequiredService<WebSocketRelay>);
        LedgerWriter? ledger = services.GetService<LedgerWriter>();
        Lazy<AkkaProxy.Pipeline.Pooling.SocketPoolCounters?> pools = new(() => services.GetService<AkkaProxy.Pipeline.Pooling.UpstreamSocketPools>()?.Counters);
        _meter = meters.Create(MeterName);
        _tokenUsage = _meter.CreateHistogram<long>("gen_ai.client.token.usage", "{token}", "Tokens used per request, by gen_ai.token.type (input, output).");
        _tokens = _meter.CreateCounter<long>("akkaproxy.tokens", "{token}", "Tokens by type, the cache and reasoning included: input, cached_input, cache_write, output, reasoning.");
        _duration = _meter.CreateHistogram<double>("gen_ai.client.operation.duration", "s", "Request (or WebSocket turn) duration.");
        _timeToFirstChunk = _meter.CreateHistogram<double>("gen_ai.client.operation.time_to_first_chunk", "s", "Time to the first byte of the response.");
        _records = _meter.CreateCounter<long>("akkaproxy.requests", "{request}", "Billing records by outcome and by the side that ended them.");
        _meter.CreateObservableGauge("akkaproxy.connections.open", () => http.Value.Connections.OpenConnections, "{connection}", "Client connections with a supervisor.");
        _meter.CreateObservableGauge("akkaproxy.websocket.sessions", () => sockets.Value.ActiveSessions, "{session}", "Responses WebSocket sessions running.");
        _turns = _meter.CreateCounter<long>("akkaproxy.websocket.turns", "{turn}", "Responses WebSocket turns billed, by outcome and by the side that ended them.");
        _errors = _meter.CreateCounter<long>("akkaproxy.errors", "{request}", "Requests and turns that did not complete, by the side that ended them (akkaproxy.ended_by), the phase (akkaproxy.error.phase: request before any response byte reached the client, response after) and error.type (the record's error code).");
        _keyRefusals = _meter.CreateCounter<long>("akkaproxy.key.refusals", "{request}", "Requests and turns a relay key's limit refused, by akkaproxy.key_id and error.type (budget_exceeded, rate_limit_exceeded, model_not_allowed, ...).");
        _meter.CreateObservableGauge("akkaproxy.upstream_sockets.open", () => pools.Value?.Open ?? 0, "{socket}", "Pooled upstream sockets open (idle or carrying a turn), over every provider with transport = websocket.");
        _meter.CreateObservableCounter("akkaproxy.upstream_sockets.opened", () => pools.Value?.Opened ?? 0, "{socket}", "Pooled upstream sockets dialled.");
        _meter.CreateObservableCounter("akkaproxy.upstream_sockets.expired", () => pools.Value?.Expired ?? 0, "{socket}", "Pooled upstream sockets closed at their lifetime.");
        _meter.CreateObservableCounter("akkaproxy.upstream_sockets.broken", () => pools.Value?.Broken ?? 0, "{socket}", "Pooled upstream sockets found broken at the start of a turn and replaced.");
        _meter.CreateObservableCounter("akkaproxy.upstream_sockets.affinity", () => new[]
        {
            new Measurement<long>(pools.Value?.AffinityHits ?? 0, new KeyValuePair<string, object?>("akkaproxy.affinity", "hit")),
            new Measurement<long>(pools.Value?.AffinityMisses ?? 0, new KeyValuePair<string, object?>("akkaproxy.affinity", "miss")),
        }, "{request}", "Requests with a previous_response_id: hit when they got the socket holding that response, miss otherwise.");
        _meter.CreateObservableCounter("akkaproxy.upstream_sockets.fallbacks", () => pools.Value?.Fallbacks ?? 0, "{request}", "Streaming Responses requests that went over HTTP because no socket could carry them before any event.");
        if (ledger is not null)
        {
            _meter.CreateObservableGauge("akkaproxy.ledger.queue", () => ledger.QueueDepth, "{record}", "Billing records waiting for the usage ledger.");
            Histogram<double> writes = _meter.CreateHistogram<double>("akkaproxy.ledger.write.duration", "s", "How long the usage ledger took to commit a batch.");
            ledger.BatchWritten = (_, took) => writes.Record(took.TotalSeconds);
        }
    }

    /// <summary>This relay's meter (each host has its own, from its <see cref="IMeterFactory"/>).</summary>
    public Meter Meter => _meter;

    public ValueTask WriteAsync(BillingRecord record, CancellationToken cancellationToken)
    {
        var tags = new TagList
        {
            { "gen_ai.operation.name", Operation(record.Api) },
            { "gen_ai.provider.name", record.Provider },
            { "gen_ai.request.model", record.UpstreamModel },
        };
        TokenUsage usage = record.Usage;
        if (usage.Status != UsageStatus.Missing)
        {
            Record(_tokenUsage, usage.InputTokens, tags, "input");
            Record(_tokenUsage, usage.OutputTokens, tags, "output");
            Add(usage.InputTokens, tags, "input");
            Add(usage.CachedInputTokens, tags, "cached_input");
            Add(usage.CacheWriteTokens, tags, "cache_write");
            Add(usage.OutputTokens, tags, "output");
            Add(usage.ReasoningTokens, tags, "reasoning");
        }

        _duration.Record(record.Duration.TotalSeconds, tags);
        if (record.TimeToFirstByte is TimeSpan first)
        {
            _timeToFirstChunk.Record(first.TotalSeconds, tags);
        }

        TagList outcome = tags;
        outcome.Add("akkaproxy.outcome", record.Outcome.ToString());
        outcome.Add("akkaproxy.ended_by", record.EndedBy.ToString());
        _records.Add(1, outcome);
        if (record.Turn is not null)
        {
            _turns.Add(1, outcome);
        }

        if (record.Outcome is not (ExchangeOutcome.Completed or ExchangeOutcome.Incomplete))
        {
            TagList error = outcome;
            error.Add("akkaproxy.error.phase", record.TimeToFirstByte is null ? "request" : "response");
            error.Add("error.type", record.ErrorCode ?? record.Outcome.ToString());
            _errors.Add(1, error);
        }

        if (record.Outcome == ExchangeOutcome.Rejected && record.ErrorCode is string code && KeyRefusalCodes.Contains(code))
        {
            _keyRefusals.Add(1, new KeyValuePair<string, object?>("akkaproxy.key_id", record.KeyId), new KeyValuePair<string, object?>("error.type", code));
        }

        return ValueTask.CompletedTask;
    }

    public void Dispose() => _meter.Dispose();

    /// <summary>The error codes of a relay key's limits (docs/keys.md).</summary>
    private static readonly HashSet<string> KeyRefusalCodes = new(StringComparer.Ordinal)
    {
        "budget_exceeded", "rate_limit_exceeded", "model_not_allowed", "provider_not_allowed", "model_not_priced",
    };

    private static string Operation(ApiKind api) => api switch
    {
        ApiKind.ChatCompletions => "chat",
        ApiKind.Responses => "responses",
        _ => "messages",
    };

    private static void Record(Histogram<long> histogram, long value, TagList tags, string type)
    {
        tags.Add("gen_ai.token.type", type);
        histogram.Record(value, tags);
    }

    private void Add(long value, TagList tags, string type)
    {
        tags.Add("gen_ai.token.type", type);
        _tokens.Add(value, tags);
    }
}
