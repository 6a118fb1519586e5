using System.Text;
using AkkaProxy.Bench.Shared;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Benchmarks;

/// <summary>One synthetic upstream SSE stream, byte-for-byte as a provider would send it.</summary>
/// <param name="Bytes">The whole response body.</param>
/// <param name="Frames">How many SSE events it holds (the decoder emits this many frames).</param>
/// <param name="Deltas">How many of them are text-delta events/chunks.</param>
public sealed record SseStream(byte[] Bytes, int Frames, int Deltas);

/// <summary>
/// Builds realistic Responses (docs/protocol-notes.md §B) and Chat Completions (§C) event streams.
/// Deterministic: the same arguments always give the same bytes.
/// </summary>
public static class StreamShapes
{
    public const string Model = StreamVocabulary.Model;
    public const long InputTokens = StreamVocabulary.InputTokens;
    public const long CachedTokens = StreamVocabulary.CachedTokens;
    public const long ReasoningTokens = StreamVocabulary.ReasoningTokens;
    private const string ResponseId = StreamVocabulary.ResponseId;
    private const string ItemId = StreamVocabulary.ItemId;
    private const string ChatId = StreamVocabulary.ChatId;
    private const long CreatedAt = StreamVocabulary.CreatedAt;
    private static readonly string[] Tokens = StreamVocabulary.Tokens;

    private static readonly Dictionary<(ApiKind, int), SseStream> Cache = [];

    /// <summary>The stream of <paramref name="api"/> with <paramref name="deltas"/> text deltas (cached).</summary>
    public static SseStream Get(ApiKind api, int deltas)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue((api, deltas), out SseStream? stream))
            {
                stream = api switch
                {
                    ApiKind.Responses => Responses(deltas),
                    ApiKind.ChatCompletions => Chat(deltas),
                    ApiKind.GeminiGenerateContent => Gemini(deltas),
                    _ => throw new ArgumentOutOfRangeException(nameof(api), api, "Only Responses, Chat Completions and Gemini streams are modelled."),
                };
                Cache[(api, deltas)] = stream;
            }

            return stream;
        }
    }

    /// <summary>
    /// <c>response.created</c>, <c>response.in_progress</c>, <c>output_item.added</c>, <c>content_part.added</c>,
    /// <paramref name="deltas"/> × <c>response.output_text.delta</c>, <c>output_text.done</c>,
    /// <c>content_part.done</c>, <c>output_item.done</c>, <c>response.completed</c> with full usage:
    /// <paramref name="deltas"/> + 8 events.
    /// </summary>
    public static SseStream Responses(int deltas)
    {
        var sb = new StringBuilder();
        int seq = 0;
        string text = StreamVocabulary.Json(StreamVocabulary.FullText(deltas));

        Event(sb, "response.created", $$"""{"type":"response.created","sequence_number":{{seq++}},"response":""" + ResponseObject("in_progress", "[]", "null") + "}");
        Event(sb, "response.in_progress", $$"""{"type":"response.in_progress","sequence_number":{{seq++}},"response":""" + ResponseObject("in_progress", "[]", "null") + "}");
        Event(sb, "response.output_item.added", $$"""{"type":"response.output_item.added","sequence_number":{{seq++}},"output_index":0,"item":{"id":"{{ItemId}}","type":"message","status":"in_progress","content":[],"role":"assistant"}""" + "}");
        Event(sb, "response.content_part.added", $$"""{"type":"response.content_part.added","sequence_number":{{seq++}},"item_id":"{{ItemId}}","output_index":0,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":""}""" + "}");
        for (int i = 0; i < deltas; i++)
        {
            Event(sb, "response.output_text.delta", $$"""{"type":"response.output_text.delta","sequence_number":{{seq++}},"item_id":"{{ItemId}}","output_index":0,"content_index":0,"delta":"{{StreamVocabulary.Json(Tokens[i % Tokens.Length])}}","logprobs":[]}""");
        }

        Event(sb, "response.output_text.done", $$"""{"type":"response.output_text.done","sequence_number":{{seq++}},"item_id":"{{ItemId}}","output_index":0,"content_index":0,"text":"{{text}}","logprobs":[]}""");
        Event(sb, "response.content_part.done", $$"""{"type":"response.content_part.done","sequence_number":{{seq++}},"item_id":"{{ItemId}}","output_index":0,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":"{{text}}"}""" + "}");
        string item = $$"""{"id":"{{ItemId}}","type":"message","status":"completed","content":[{"type":"output_text","annotations":[],"logprobs":[],"text":"{{text}}"}],"role":"assistant"}""";
        Event(sb, "response.output_item.done", $$"""{"type":"response.output_item.done","sequence_number":{{seq++}},"output_index":0,"item":""" + item + "}");
        long output = deltas + ReasoningTokens;
        string usage = $$"""{"input_tokens":{{InputTokens}},"input_tokens_details":{"cached_tokens":{{CachedTokens}}},"output_tokens":{{output}},"output_tokens_details":{"reasoning_tokens":{{ReasoningTokens}}},"total_tokens":{{InputTokens + output}}}""";
        Event(sb, "response.completed", $$"""{"type":"response.completed","sequence_number":{{seq++}},"response":""" + ResponseObject("completed", $"[{item}]", usage) + "}");
        return new SseStream(Encoding.UTF8.GetBytes(sb.ToString()), seq, deltas);
    }

    /// <summary>
    /// A role chunk, <paramref name="deltas"/> content chunks, a <c>finish_reason</c> chunk (all with
    /// <c>"usage":null</c>), the usage-only chunk (<c>"choices":[]</c>) and <c>data: [DONE]</c>:
    /// <paramref name="deltas"/> + 4 events.
    /// </summary>
    public static SseStream Chat(int deltas)
    {
        var sb = new StringBuilder();
        string head = $$"""{"id":"{{ChatId}}","object":"chat.completion.chunk","created":{{CreatedAt}},"model":"{{Model}}","service_tier":"default","system_fingerprint":"fp_07871e2ad8","choices":""";
        Data(sb, head + """[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}""");
        for (int i = 0; i < deltas; i++)
        {
            Data(sb, head + $$"""[{"index":0,"delta":{"content":"{{StreamVocabulary.Json(Tokens[i % Tokens.Length])}}"},"logprobs":null,"finish_reason":null}],"usage":null}""");
        }

        Data(sb, head + """[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}""");
        long output = deltas + ReasoningTokens;
        Data(sb, head + $$"""[],"usage":{"prompt_tokens":{{InputTokens}},"completion_tokens":{{output}},"total_tokens":{{InputTokens + output}},"prompt_tokens_details":{"cached_tokens":{{CachedTokens}},"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":{{ReasoningTokens}},"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}""" + "}}");
        Data(sb, "[DONE]");
        return new SseStream(Encoding.UTF8.GetBytes(sb.ToString()), deltas + 4, deltas);
    }

    /// <summary>
    /// Gemini's <c>streamGenerateContent?alt=sse</c> (docs/protocol-notes.md §G): <paramref name="deltas"/>
    /// chunks, each with one text part and the <c>usageMetadata</c> so far, the last with <c>finishReason</c>
    /// and the final counts (candidates = deltas, thoughts = the reasoning tokens); CRLF-framed, no
    /// terminal event: <paramref name="deltas"/> events.
    /// </summary>
    public static SseStream Gemini(int deltas)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < deltas; i++)
        {
            bool last = i == deltas - 1;
            string finish = last ? ",\"finishReason\":\"STOP\"" : "";
            long candidates = i + 1;
            string usage = $$"""{"promptTokenCount":{{InputTokens}},"candidatesTokenCount":{{candidates}},"totalTokenCount":{{InputTokens + candidates + ReasoningTokens}},"cachedContentTokenCount":{{CachedTokens}},"promptTokensDetails":[{"modality":"TEXT","tokenCount":{{InputTokens}}}],"thoughtsTokenCount":{{ReasoningTokens}}}""";
            sb.Append("data: ").Append($$"""{"candidates":[{"content":{"parts":[{"text":"{{StreamVocabulary.Json(Tokens[i % Tokens.Length])}}"}],"role":"model"}{{finish}},"index":0}],"usageMetadata":{{usage}},"modelVersion":"{{Model}}","responseId":"{{ResponseId}}"}""").Append("\r\n\r\n");
        }

        return new SseStream(Encoding.UTF8.GetBytes(sb.ToString()), deltas, deltas);
    }

    private static string ResponseObject(string status, string output, string usage) =>
        $$"""{"id":"{{ResponseId}}","object":"response","created_at":{{CreatedAt}},"status":"{{status}}","background":false,"error":null,"incomplete_details":null,"instructions":"You are a concise assistant.","max_output_tokens":null,"max_tool_calls":null,"model":"{{Model}}","output":{{output}},"parallel_tool_calls":true,"previous_response_id":null,"prompt_cache_key":null,"reasoning":{"effort":null,"summary":null},"safety_identifier":null,"service_tier":"default","store":true,"temperature":1.0,"text":{"format":{"type":"text"},"verbosity":"medium"},"tool_choice":"auto","tools":[],"top_logprobs":0,"top_p":1.0,"truncation":"disabled","usage":{{usage}},"user":null,"metadata":{}""" + "}";

    private static void Event(StringBuilder sb, string name, string json) =>
        sb.Append("event: ").Append(name).Append('\n').Append("data: ").Append(json).Append("\n\n");

    private static void Data(StringBuilder sb, string json) => sb.Append("data: ").Append(json).Append("\n\n");
}
