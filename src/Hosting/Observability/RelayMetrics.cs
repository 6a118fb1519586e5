using System.Diagnostics;
using System.Diagnostics.Metrics;
using AkkaProxy.Hosting.Ledger;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Diagnostics;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Supervision;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Hosting.Observability;

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
        _router = new(services.GetRequiredService<ModelRouter>);
        _tokenUsage = _meter.CreateHistogram("gen_ai.client.token.usage", "{token}", "Tokens used per request, by gen_ai.token.type (input, output).", tags: null,
            new InstrumentAdvice<long> { HistogramBucketBoundaries = TokenBuckets });
        _tokens = _meter.CreateCounter<long>("akkaproxy.tokens", "{token}", "Tokens by type, the cache and reasoning included: input, cached_input, cache_write, output, reasoning.");
        _duration = _meter.CreateHistogram("gen_ai.client.operation.duration", "s", "Request (or WebSocket turn) duration.", tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _timeToFirstChunk = _meter.CreateHistogram("gen_ai.client.operation.time_to_first_chunk", "s", "Time to the first byte of a streamed response (streams only).", tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = FirstChunkBuckets });
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

    /// <summary>Token counts: the GenAI conventions' advice for <c>gen_ai.client.token.usage</c>.</summary>
    public static readonly IReadOnlyList<long> TokenBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

    /// <summary>Seconds: the GenAI conventions' advice for <c>gen_ai.client.operation.duration</c>.</summary>
    public static readonly IReadOnlyList<double> DurationBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

    /// <summary>Seconds: the GenAI conventions' advice for time to the first token (<c>gen_ai.server.time_to_first_token</c>), which the first chunk is.</summary>
    public static readonly IReadOnlyList<double> FirstChunkBuckets = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];

    private readonly Lazy<ModelRouter> _router;

    /// <summary>This relay's meter (each host has its own, from its <see cref="IMeterFactory"/>).</summary>
    public Meter Meter => _meter;

    public ValueTask WriteAsync(BillingRecord record, CancellationToken cancellationToken)
    {
        // The conventions' attributes, each only when the record has it: a request refused before it
        // routed has no provider or model, and an empty value would be a series of its own.
        var tags = new TagList
        {
            { "gen_ai.operation.name", TraceNames.Operation(record.Api) },
            { "akkaproxy.api", TraceNames.Api(record.Api) },
        };
        if (!string.IsNullOrEmpty(record.Provider))
        {
            tags.Add("gen_ai.provider.name", ProviderName(record.Provider));
            tags.Add("akkaproxy.provider", record.Provider);
        }

        if (!string.IsNullOrEmpty(record.UpstreamModel))
        {
            tags.Add("gen_ai.request.model", record.UpstreamModel);
        }

        if (!string.IsNullOrEmpty(record.ResponseModel))
        {
            tags.Add("gen_ai.response.model", record.ResponseModel);
        }

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

        bool failed = record.Outcome is not (ExchangeOutcome.Completed or ExchangeOutcome.Incomplete);
        string? errorType = failed ? record.ErrorCode ?? RecordNames.Outcome(record.Outcome) : null;
        TagList duration = tags;
        if (errorType is not null)
        {
            duration.Add("error.type", errorType); // conditionally required: the operation ended in an error
        }

        _duration.Record(record.Duration.TotalSeconds, duration);
        if (record.Streaming && record.TimeToFirstByte is TimeSpan first)
        {
            _timeToFirstChunk.Record(first.TotalSeconds, tags); // the conventions: streams only
        }

        TagList outcome = tags;
        outcome.Add("akkaproxy.outcome", RecordNames.Outcome(record.Outcome));
        outcome.Add("akkaproxy.ended_by", RecordNames.Side(record.EndedBy));
        _records.Add(1, outcome);
        if (record.Turn is not null)
        {
            _turns.Add(1, outcome);
        }

        if (errorType is not null)
        {
            TagList error = outcome;
            error.Add("akkaproxy.error.phase", record.TimeToFirstByte is null ? "request" : "response");
            error.Add("error.type", errorType);
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

    /// <summary>The conventions' provider name (<c>openai</c>, <c>anthropic</c>) by the provider's kind; the configured name for any other.</summary>
    private string ProviderName(string configured) =>
        _router.Value.TryGetProvider(configured, out Provider provider) ? TraceNames.Provider(provider) : configured;

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
