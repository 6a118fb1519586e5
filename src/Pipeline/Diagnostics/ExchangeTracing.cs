using System.Diagnostics;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Usage;
using Microsoft.AspNetCore.Http;

namespace AkkaProxy.Pipeline.Diagnostics;

/// <summary>
/// The span of one exchange (an HTTP request or a WebSocket turn), from its start to its billing:
/// <code>
///   Start(route, parent)  ─▶ Attach(exchange, span) ─▶ TracePropagation.Inject ─▶ … ─▶ Stop(exchange, record)
///   (null when nobody       (request id, key id,      (traceparent and tracestate of          (usage, outcome, status from
///    listens: nothing        turn; on the exchange)    this span, replacing the client's)      the billing record: the one truth)
///    else is done)
/// </code>
/// Every step takes a null span and does nothing with it, so the relay's paths call them
/// unconditionally and pay nothing when nobody listens (<see cref="ActivitySource.HasListeners"/>).
/// </summary>
internal static class ExchangeTracing
{
    /// <summary>
    /// Starts the span of an HTTP exchange, a child of the current activity (ASP.NET Core's request
    /// activity); without one, a child of the client's <c>traceparent</c>, if it sent one. The span
    /// becomes the current activity for the rest of the handler, so its logs carry its trace id.
    /// </summary>
    public static Activity? StartHttp(ProviderRoute route, IHeaderDictionary requestHeaders, ApiKind api = ApiKind.ChatCompletions)
    {
        if (!RelayTracing.Source.HasListeners())
        {
            return null;
        }

        ActivityContext parent = default;
        if (Activity.Current is null && TracePropagation.ClientContext(requestHeaders) is { } client)
        {
            parent = client;
        }

        return Start(route, parent, api);
    }

    /// <summary>
    /// Starts the span of a WebSocket turn, a child of <paramref name="parent"/> (the upgrade request's
    /// activity, captured when the session began). It does not become the current activity: a turn
    /// starts on the session's graph, whose thread runs other sessions' work too.
    /// </summary>
    public static Activity? StartTurn(ProviderRoute route, ActivityContext parent)
    {
        if (!RelayTracing.Source.HasListeners())
        {
            return null;
        }

        Activity? current = Activity.Current;
        Activity? span = Start(route, parent, ApiKind.Responses);
        Activity.Current = current;
        return span;
    }

    /// <summary>The current activity's context (a WebSocket session's parent: the upgrade request's activity); default when there is none.</summary>
    public static ActivityContext CurrentContext() => Activity.Current?.Context ?? default;

    /// <summary>Gives <paramref name="span"/> to the exchange, tagged with its ids; it ends when the exchange is billed.</summary>
    public static void Attach(ProxyExchange exchange, Activity? span)
    {
        if (span is null)
        {
            return;
        }

        exchange.Activity = span;
        span.SetTag(TraceAttributes.RequestId, exchange.RequestId);
        if (exchange.KeyId is { } keyId)
        {
            span.SetTag(TraceAttributes.KeyId, keyId);
        }

        if (exchange.Turn is { } turn)
        {
            span.SetTag(TraceAttributes.Turn, turn);
        }

        if (exchange.StreamId is { } lane)
        {
            span.SetTag(TraceAttributes.StreamId, lane);
        }
    }

    /// <summary>
    /// Ends the exchange's span, if it has one, with what its billing record says: the response
    /// model and id, the usage, the outcome; status <see cref="ActivityStatusCode.Error"/>, with the
    /// error's code, side and phase, unless the exchange completed (or ended incomplete, as the
    /// upstream decided).
    /// </summary>
    public static void Stop(ProxyExchange exchange, BillingRecord record)
    {
        Activity? span = exchange.Activity;
        if (span is null)
        {
            return;
        }

        exchange.Activity = null;
        SetResponse(span, record);
        span.Stop();
    }

    /// <summary>Ends a span whose exchange was never billed (its session ended while it was being dialled).</summary>
    public static void Abandon(Activity? span, string reason)
    {
        if (span is null)
        {
            return;
        }

        span.SetTag(TraceAttributes.ErrorType, reason);
        span.SetStatus(ActivityStatusCode.Error, reason);
        span.Stop();
    }

    private static Activity? Start(ProviderRoute route, ActivityContext parent, ApiKind api)
    {
        Provider provider = route.Provider;
        var tags = new TagList
        {
            { TraceAttributes.OperationName, TraceNames.Operation(api) },
            { TraceAttributes.ProviderName, TraceNames.Provider(provider) },
            { TraceAttributes.RequestModel, route.UpstreamModel },
            { TraceAttributes.ServerAddress, provider.BaseUri.Host },
            { TraceAttributes.ServerPort, provider.BaseUri.Port },
            { TraceAttributes.Provider, provider.Name },
            { TraceAttributes.RequestedModel, route.RequestedModel },
        };
        return RelayTracing.Source.StartActivity(TraceNames.Operation(api) + " " + route.UpstreamModel, ActivityKind.Client, parent, tags);
    }

    private static void SetResponse(Activity span, BillingRecord record)
    {
        span.SetTag(TraceAttributes.Api, TraceNames.Api(record.Api));
        if (record.ResponseModel is { } model)
        {
            span.SetTag(TraceAttributes.ResponseModel, model);
        }

        if (record.ResponseId is { } id)
        {
            span.SetTag(TraceAttributes.ResponseId, id);
        }

        TokenUsage usage = record.Usage;
        span.SetTag(TraceAttributes.UsageStatus, usage.Status.ToString().ToLowerInvariant());
        if (usage.Status != UsageStatus.Missing)
        {
            span.SetTag(TraceAttributes.InputTokens, usage.InputTokens);
            span.SetTag(TraceAttributes.OutputTokens, usage.OutputTokens);
            span.SetTag(TraceAttributes.CacheReadInputTokens, usage.CachedInputTokens);
            span.SetTag(TraceAttributes.CacheCreationInputTokens, usage.CacheWriteTokens);
            span.SetTag(TraceAttributes.ReasoningTokens, usage.ReasoningTokens);
        }

        if (record.Cost is decimal cost)
        {
            span.SetTag(TraceAttributes.Cost, (double)cost);
        }

        string endedBy = TraceNames.Side(record.EndedBy);
        span.SetTag(TraceAttributes.Outcome, TraceNames.Outcome(record.Outcome));
        span.SetTag(TraceAttributes.EndedBy, endedBy);
        if (record.Outcome is ExchangeOutcome.Completed or ExchangeOutcome.Incomplete)
        {
            return;
        }

        string error = record.ErrorCode ?? TraceNames.Outcome(record.Outcome);
        span.SetTag(TraceAttributes.ErrorType, error);
        span.SetTag(TraceAttributes.ErrorSide, endedBy);
        // Whether any of a relayed response had reached the client when it failed.
        span.SetTag(TraceAttributes.ErrorPhase, record.TimeToFirstByte is null ? "request" : "response");
        span.SetStatus(ActivityStatusCode.Error, error);
    }
}
