using System.Diagnostics;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace AkkaProxy.Pipeline.Diagnostics;

/// <summary>
/// The span's context on the way upstream, and the client's on the way in, through
/// <see cref="DistributedContextPropagator.Current"/> (W3C <c>traceparent</c> and <c>tracestate</c>
/// by default) rather than headers formatted by hand.
/// </summary>
internal static class TracePropagation
{
    private const string TraceParent = "traceparent";
    private const string TraceState = "tracestate";

    /// <summary>
    /// Puts the span's context on the upstream request, replacing the client's <c>traceparent</c> and
    /// <c>tracestate</c>, which the header policy forwarded: with a span, the upstream's parent is the
    /// relay's span. Without one (nobody listens) the client's headers go on as they came.
    /// </summary>
    public static void Inject(Activity? span, HttpRequestHeaders headers)
    {
        if (span is null)
        {
            return;
        }

        headers.Remove(TraceParent);
        headers.Remove(TraceState);
        DistributedContextPropagator.Current.Inject(span, headers, static (carrier, name, value) =>
        {
            var target = (HttpRequestHeaders)carrier!;
            target.Remove(name);
            target.TryAddWithoutValidation(name, value);
        });
    }

    /// <summary>The headers of a WebSocket upgrade with the span's context in place of any trace headers they had.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> WithTraceContext(IReadOnlyList<KeyValuePair<string, string>> headers, Activity? span) =>
        span is null ? headers : Replaced(headers, span); // apart: the lambdas' closure would be allocated on entry, span or not

    private static List<KeyValuePair<string, string>> Replaced(IReadOnlyList<KeyValuePair<string, string>> headers, Activity span)
    {
        var injected = new List<KeyValuePair<string, string>>();
        DistributedContextPropagator.Current.Inject(span, injected, static (carrier, name, value) =>
        {
            if (value is not null)
            {
                ((List<KeyValuePair<string, string>>)carrier!).Add(new(name, value));
            }
        });
        return
        [
            .. headers.Where(header => !IsTraceHeader(header.Key) && !injected.Exists(added => string.Equals(added.Key, header.Key, StringComparison.OrdinalIgnoreCase))),
            .. injected,
        ];
    }

    /// <summary>The client's <c>traceparent</c> (and <c>tracestate</c>), read by the current propagator; null when absent or malformed.</summary>
    public static ActivityContext? ClientContext(IHeaderDictionary headers)
    {
        DistributedContextPropagator.Current.ExtractTraceIdAndState(headers, static (object? carrier, string name, out string? value, out IEnumerable<string>? values) =>
        {
            StringValues found = ((IHeaderDictionary)carrier!)[name];
            value = found.Count == 1 ? found[0] : null;
            values = found.Count > 1 ? found.OfType<string>().ToArray() : null;
        }, out string? traceParent, out string? traceState);
        return ActivityContext.TryParse(traceParent, traceState, isRemote: true, out ActivityContext context) ? context : null;
    }

    private static bool IsTraceHeader(string name) =>
        name.Equals(TraceParent, StringComparison.OrdinalIgnoreCase) || name.Equals(TraceState, StringComparison.OrdinalIgnoreCase);
}
