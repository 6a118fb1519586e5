namespace AkkaProxy.Pipeline.Tests.Conformance;

/// <summary>The comparer for each corpus <c>kind</c> we run through our code.</summary>
internal static class FixtureComparers
{
    public static IReadOnlyDictionary<string, Action<LlmproxyFixture, FieldComparison>> ByKind { get; } =
        new Dictionary<string, Action<LlmproxyFixture, FieldComparison>>(StringComparer.Ordinal)
        {
            ["chat_stream"] = ResponseComparer.Compare,
            ["responses_stream"] = ResponseComparer.Compare,
            ["anthropic_stream"] = ResponseComparer.Compare,
            ["multi_stream"] = ResponseComparer.Compare,
            ["chat_extract"] = ResponseComparer.Compare,
            ["responses_extract"] = ResponseComparer.Compare,
            ["anthropic_extract"] = ResponseComparer.Compare,
            ["openai_event"] = EventComparer.Compare,
            ["anthropic_event"] = EventComparer.Compare,
            ["responses_event"] = EventComparer.Compare,
            ["responses_completed_response_obj"] = EventComparer.Compare,
            ["sse_parse"] = SseParseComparer.Compare,
            ["ws_usage"] = WebSocketComparer.Compare,
            ["chat_parse"] = RequestComparer.CompareParse,
            ["responses_parse"] = RequestComparer.CompareParse,
            ["anthropic_parse"] = RequestComparer.CompareParse,
            ["multi_parse"] = RequestComparer.CompareParse,
            ["route_detect"] = RequestComparer.CompareRoute,
            ["cost"] = CostComparer.Compare,
        };
}
