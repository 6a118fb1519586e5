using System.Text;
using AkkaProxy.Bench.Shared;

namespace AkkaProxy.LoadHarness.Fake;

/// <summary>
/// The fake provider's responses, byte for byte in the wire formats of docs/protocol-notes.md, shaped like
/// the micro-benchmarks' streams (bench/AkkaProxy.Benchmarks/StreamShapes): a 52-character item id, a
/// ~30-field Response object, deltas of short tokens (some JSON-escaped, some non-ASCII), full usage
/// with cached and reasoning tokens. Deterministic: the same arguments give the same bytes, so the
/// load generator knows the exact length every target must deliver.
/// </summary>
public static class UpstreamBodies
{
    /// <summary>The model the fake reports (providers answer with a dated snapshot name).</summary>
    public const string ReportedModel = StreamVocabulary.Model;

    private const long InputTokens = StreamVocabulary.InputTokens;
    private const long CachedTokens = StreamVocabulary.CachedTokens;
    private const long ReasoningTokens = StreamVocabulary.ReasoningTokens;
    private const string ResponseId = StreamVocabulary.ResponseId;
    private const string ItemId = StreamVocabulary.ItemId;
    private const string ChatId = StreamVocabulary.ChatId;
    private const long CreatedAt = StreamVocabulary.CreatedAt;
    private static readonly string[] Tokens = StreamVocabulary.Tokens;

    /// <summary>
    /// Chat Completions SSE of <paramref name="events"/> events when usage is asked for: a role chunk,
    /// <paramref name="events"/> − 4 content chunks, a <c>finish_reason</c> chunk (each with <c>"usage":null</c>),
    /// the usage-only chunk (<c>"choices":[]</c>), then <c>data: [DONE]</c>. Without
    /// <paramref name="includeUsage"/> the usage chunk and the <c>usage</c> fields are absent.
    /// </summary>
    public static RenderedBody ChatSse(int events, bool includeUsage)
    {
        int deltas = Math.Max(0, events - 4);
        var body = new RenderedBodyBuilder();
        string head = $$$"""{"id":"{{{ChatId}}}","object":"chat.completion.chunk","created":{{{CreatedAt}}},"model":"{{{ReportedModel}}}","service_tier":"default","system_fingerprint":"fp_07871e2ad8","choices":""";
        string usageNull = includeUsage ? ""","usage":null""" : "";
        body.SseData(head + """[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]""" + usageNull + "}");
        for (int i = 0; i < deltas; i++)
        {
            body.SseData(head + $$$"""[{"index":0,"delta":{"content":"{{{StreamVocabulary.Json(Tokens[i % Tokens.Length])}}}"},"logprobs":null,"finish_reason":null}]""" + usageNull + "}");
        }

        body.SseData(head + """[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]""" + usageNull + "}");
        if (includeUsage)
        {
            body.SseData(head + """[],"usage":""" + ChatUsage(deltas) + "}");
        }

        body.SseData("[DONE]");
        return body.Build();
    }

    /// <summary>A non-streaming <c>chat.completion</c> with the text of <paramref name="deltas"/> tokens and usage.</summary>
    public static RenderedBody ChatJson(int deltas)
    {
        var body = new RenderedBodyBuilder();
        body.Raw($$$"""{"id":"{{{ChatId}}}","object":"chat.completion","created":{{{CreatedAt}}},"model":"{{{ReportedModel}}}","choices":[{"index":0,"message":{"role":"assistant","content":"{{{StreamVocabulary.Json(StreamVocabulary.FullText(deltas))}}}","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":""" + ChatUsage(deltas) + $$$""","service_tier":"default","system_fingerprint":"fp_07871e2ad8"}""");
        return body.Build();
    }

    /// <summary>
    /// Responses SSE of <paramref name="events"/> events: <c>response.created</c>, <c>.in_progress</c>,
    /// <c>output_item.added</c>, <c>content_part.added</c>, <paramref name="events"/> − 8 ×
    /// <c>output_text.delta</c>, <c>output_text.done</c>, <c>content_part.done</c>, <c>output_item.done</c>,
    /// <c>response.completed</c> with usage.
    /// </summary>
    public static RenderedBody ResponsesSse(int events)
    {
        var body = new RenderedBodyBuilder();
        ResponsesEvents(Math.Max(0, events - 8), body.SseEvent);
        return body.Build();
    }

    /// <summary>The same events as <see cref="ResponsesSse"/>, one JSON text message each (WebSocket mode, docs/protocol-notes.md §A).</summary>
    public static RenderedBody ResponsesWebSocket(int events)
    {
        var body = new RenderedBodyBuilder();
        ResponsesEvents(Math.Max(0, events - 8), (_, json) => body.Raw(json));
        return body.Build();
    }

    /// <summary>A non-streaming Response object with the text of <paramref name="deltas"/> tokens and usage.</summary>
    public static RenderedBody ResponsesJson(int deltas)
    {
        string text = StreamVocabulary.Json(StreamVocabulary.FullText(deltas));
        var body = new RenderedBodyBuilder();
        body.Raw(ResponseObject("completed", "[" + OutputItem(text) + "]", ResponsesUsage(deltas)));
        return body.Build();
    }

    /// <summary>The first bytes of the terminal WebSocket event, by which a client knows a turn ended.</summary>
    public static ReadOnlySpan<byte> CompletedPrefix => """{"type":"response.completed","""u8;

    private static void ResponsesEvents(int deltas, Action<string, string> emit)
    {
        int seq = 0;
        string text = StreamVocabulary.Json(StreamVocabulary.FullText(deltas));
        emit("response.created", $$$"""{"type":"response.created","sequence_number":{{{seq++}}},"response":""" + ResponseObject("in_progress", "[]", "null") + "}");
        emit("response.in_progress", $$$"""{"type":"response.in_progress","sequence_number":{{{seq++}}},"response":""" + ResponseObject("in_progress", "[]", "null") + "}");
        emit("response.output_item.added", $$$"""{"type":"response.output_item.added","sequence_number":{{{seq++}}},"output_index":0,"item":{"id":"{{{ItemId}}}","type":"message","status":"in_progress","content":[],"role":"assistant"}}""");
        emit("response.content_part.added", $$$"""{"type":"response.content_part.added","sequence_number":{{{seq++}}},"item_id":"{{{ItemId}}}","output_index":0,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":""}}""");
        for (int i = 0; i < deltas; i++)
        {
            emit("response.output_text.delta", $$$"""{"type":"response.output_text.delta","sequence_number":{{{seq++}}},"item_id":"{{{ItemId}}}","output_index":0,"content_index":0,"delta":"{{{StreamVocabulary.Json(Tokens[i % Tokens.Length])}}}","logprobs":[]}""");
        }

        emit("response.output_text.done", $$$"""{"type":"response.output_text.done","sequence_number":{{{seq++}}},"item_id":"{{{ItemId}}}","output_index":0,"content_index":0,"text":"{{{text}}}","logprobs":[]}""");
        emit("response.content_part.done", $$$"""{"type":"response.content_part.done","sequence_number":{{{seq++}}},"item_id":"{{{ItemId}}}","output_index":0,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":"{{{text}}}"}}""");
        string item = OutputItem(text);
        emit("response.output_item.done", $$$"""{"type":"response.output_item.done","sequence_number":{{{seq++}}},"output_index":0,"item":""" + item + "}");
        emit("response.completed", $$$"""{"type":"response.completed","sequence_number":{{{seq}}},"response":""" + ResponseObject("completed", "[" + item + "]", ResponsesUsage(deltas)) + "}");
    }

    private static string OutputItem(string escapedText) =>
        $$$"""{"id":"{{{ItemId}}}","type":"message","status":"completed","content":[{"type":"output_text","annotations":[],"logprobs":[],"text":"{{{escapedText}}}"}],"role":"assistant"}""";

    private static string ResponsesUsage(int deltas)
    {
        long output = deltas + ReasoningTokens;
        return $$$"""{"input_tokens":{{{InputTokens}}},"input_tokens_details":{"cached_tokens":{{{CachedTokens}}}},"output_tokens":{{{output}}},"output_tokens_details":{"reasoning_tokens":{{{ReasoningTokens}}}},"total_tokens":{{{InputTokens + output}}}}""";
    }

    private static string ChatUsage(int deltas)
    {
        long output = deltas + ReasoningTokens;
        return $$$"""{"prompt_tokens":{{{InputTokens}}},"completion_tokens":{{{output}}},"total_tokens":{{{InputTokens + output}}},"prompt_tokens_details":{"cached_tokens":{{{CachedTokens}}},"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":{{{ReasoningTokens}}},"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}""";
    }

    private static string ResponseObject(string status, string output, string usage) =>
        $$$"""{"id":"{{{ResponseId}}}","object":"response","created_at":{{{CreatedAt}}},"status":"{{{status}}}","background":false,"error":null,"incomplete_details":null,"instructions":"You are a concise assistant.","max_output_tokens":null,"max_tool_calls":null,"model":"{{{ReportedModel}}}","output":{{{output}}},"parallel_tool_calls":true,"previous_response_id":null,"prompt_cache_key":null,"reasoning":{"effort":null,"summary":null},"safety_identifier":null,"service_tier":"default","store":true,"temperature":1.0,"text":{"format":{"type":"text"},"verbosity":"medium"},"tool_choice":"auto","tools":[],"top_logprobs":0,"top_p":1.0,"truncation":"disabled","usage":{{{usage}}},"user":null,"metadata":{}}""";
}
