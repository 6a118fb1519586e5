namespace AkkaProxy.Host.Tests.Fakes;

/// <summary>
/// Response bodies in each provider's exact wire format (docs/protocol-notes.md §B–D), with fixed usage
/// figures the tests assert on.
/// </summary>
public static class FakeStreams
{
    // Chat Completions usage (docs/protocol-notes.md §C).
    public const int ChatPrompt = 1200, ChatCached = 1024, ChatCompletion = 300, ChatReasoning = 128;

    // Responses usage (docs/protocol-notes.md §B).
    public const int RespInput = 328, RespCached = 256, RespOutput = 52, RespReasoning = 32;

    // Anthropic usage (docs/protocol-notes.md §D): input excludes cache reads and writes.
    public const int AnthInput = 25, AnthCacheWrite = 1200, AnthCacheRead = 100, AnthOutput = 15;

    public const string ChatId = "chatcmpl-fake123";
    public const string ResponseId = "resp_fake123";
    public const string MessageId = "msg_fake123";

    public static IReadOnlyList<string> Chat(string model, bool includeUsage)
    {
        string usageNull = includeUsage ? ",\"usage\":null" : "";
        var events = new List<string>
        {
            $$$"""data: {"id":"{{{ChatId}}}","object":"chat.completion.chunk","created":1694268190,"model":"{{{model}}}","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]{{{usageNull}}}}""" + "\n\n",
        };
        foreach (string delta in FakeUpstream.Deltas)
        {
            events.Add($$$"""data: {"id":"{{{ChatId}}}","object":"chat.completion.chunk","created":1694268190,"model":"{{{model}}}","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"content":"{{{delta}}}"},"logprobs":null,"finish_reason":null}]{{{usageNull}}}}""" + "\n\n");
        }

        events.Add($$$"""data: {"id":"{{{ChatId}}}","object":"chat.completion.chunk","created":1694268190,"model":"{{{model}}}","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]{{{usageNull}}}}""" + "\n\n");
        if (includeUsage)
        {
            events.Add($$$"""data: {"id":"{{{ChatId}}}","object":"chat.completion.chunk","created":1694268190,"model":"{{{model}}}","system_fingerprint":"fp_1","choices":[],"usage":{{{ChatUsage}}}}""" + "\n\n");
        }

        events.Add("data: [DONE]\n\n");
        return events;
    }

    public static string ChatUsage =>
        $$$"""{"prompt_tokens":{{{ChatPrompt}}},"completion_tokens":{{{ChatCompletion}}},"total_tokens":{{{ChatPrompt + ChatCompletion}}},"prompt_tokens_details":{"cached_tokens":{{{ChatCached}}},"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":{{{ChatReasoning}}},"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}""";

    /// <summary>The legacy usage shape of some OpenAI-compatible servers: a total and nothing else.</summary>
    public const int TotalOnlyTokens = 1500;

    public static string TotalOnlyUsage => $$$"""{"total_tokens":{{{TotalOnlyTokens}}}}""";

    /// <summary>A usage chunk after <c>data: [DONE]</c>, 26 times the real usage (seen from a real relay's upstream).</summary>
    public static string LateUsageChunk(string model) =>
        $$$"""data: {"id":"{{{ChatId}}}","object":"chat.completion.chunk","created":1694268190,"model":"{{{model}}}","choices":[],"usage":{"prompt_tokens":{{{ChatPrompt * 26}}},"completion_tokens":{{{ChatCompletion * 26}}},"total_tokens":{{{(ChatPrompt + ChatCompletion) * 26}}}}}""" + "\n\n";

    public static string ChatJson(string model) =>
        $$$"""{"id":"{{{ChatId}}}","object":"chat.completion","created":1694268190,"model":"{{{model}}}","choices":[{"index":0,"message":{"role":"assistant","content":"{{{FakeUpstream.Text}}}","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{{{ChatUsage}}},"system_fingerprint":"fp_1"}""";

    public static string ResponsesUsage =>
        $$$"""{"input_tokens":{{{RespInput}}},"input_tokens_details":{"cached_tokens":{{{RespCached}}}},"output_tokens":{{{RespOutput}}},"output_tokens_details":{"reasoning_tokens":{{{RespReasoning}}}},"total_tokens":{{{RespInput + RespOutput}}}}""";

    public static string ResponseObject(string model, string status, string usage, string text) =>
        $$$"""{"id":"{{{ResponseId}}}","object":"response","created_at":1751642570,"status":"{{{status}}}","background":false,"error":null,"incomplete_details":null,"instructions":null,"max_output_tokens":null,"model":"{{{model}}}","output":[{{{OutputItem(text)}}}],"parallel_tool_calls":true,"previous_response_id":null,"store":true,"temperature":1.0,"text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[],"top_p":1.0,"truncation":"disabled","usage":{{{usage}}},"user":null,"metadata":{}}""";

    private static string OutputItem(string text) => text.Length == 0 ? "" :
        $$$"""{"id":"msg_1","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","annotations":[],"logprobs":[],"text":"{{{text}}}"}]}""";

    public static IReadOnlyList<string> Responses(string model)
    {
        int seq = 0;
        var events = new List<string>
        {
            Event("response.created", $$$"""{"type":"response.created","sequence_number":{{{seq++}}},"response":{{{ResponseObject(model, "in_progress", "null", "")}}}}"""),
            Event("response.in_progress", $$$"""{"type":"response.in_progress","sequence_number":{{{seq++}}},"response":{{{ResponseObject(model, "in_progress", "null", "")}}}}"""),
            Event("response.output_item.added", $$$"""{"type":"response.output_item.added","sequence_number":{{{seq++}}},"output_index":0,"item":{"id":"msg_1","type":"message","status":"in_progress","role":"assistant","content":[]}}"""),
            Event("response.content_part.added", $$$"""{"type":"response.content_part.added","sequence_number":{{{seq++}}},"item_id":"msg_1","output_index":0,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":""}}"""),
        };
        foreach (string delta in FakeUpstream.Deltas)
        {
            events.Add(Event("response.output_text.delta", $$$"""{"type":"response.output_text.delta","sequence_number":{{{seq++}}},"item_id":"msg_1","output_index":0,"content_index":0,"delta":"{{{delta}}}","logprobs":[]}"""));
        }

        events.Add(Event("response.output_text.done", $$$"""{"type":"response.output_text.done","sequence_number":{{{seq++}}},"item_id":"msg_1","output_index":0,"content_index":0,"text":"{{{FakeUpstream.Text}}}","logprobs":[]}"""));
        events.Add(Event("response.content_part.done", $$$"""{"type":"response.content_part.done","sequence_number":{{{seq++}}},"item_id":"msg_1","output_index":0,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":"{{{FakeUpstream.Text}}}"}}"""));
        events.Add(Event("response.output_item.done", $$$"""{"type":"response.output_item.done","sequence_number":{{{seq++}}},"output_index":0,"item":{{{OutputItem(FakeUpstream.Text)}}}}"""));
        events.Add(Event("response.completed", $$$"""{"type":"response.completed","sequence_number":{{{seq++}}},"response":{{{ResponseObject(model, "completed", ResponsesUsage, FakeUpstream.Text)}}}}"""));
        return events;
    }

    public static string ResponsesJson(string model) => ResponseObject(model, "completed", ResponsesUsage, FakeUpstream.Text);

    public static IReadOnlyList<string> Messages(string model)
    {
        var events = new List<string>
        {
            Event("message_start", $$$"""{"type":"message_start","message":{"id":"{{{MessageId}}}","type":"message","role":"assistant","content":[],"model":"{{{model}}}","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":{{{AnthInput}}},"cache_creation_input_tokens":{{{AnthCacheWrite}}},"cache_read_input_tokens":{{{AnthCacheRead}}},"cache_creation":{"ephemeral_5m_input_tokens":{{{AnthCacheWrite}}},"ephemeral_1h_input_tokens":0},"output_tokens":1,"service_tier":"standard"}}"""+"}"),
            Event("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"""),
            Event("ping", """{"type":"ping"}"""),
        };
        foreach (string delta in FakeUpstream.Deltas)
        {
            events.Add(Event("content_block_delta", $$$"""{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"{{{delta}}}"}}"""));
        }

        events.Add(Event("content_block_stop", """{"type":"content_block_stop","index":0}"""));
        events.Add(Event("message_delta", $$$"""{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":{{{AnthOutput}}}}}"""));
        events.Add(Event("message_stop", """{"type":"message_stop"}"""));
        return events;
    }

    public static string MessagesJson(string model) =>
        $$$"""{"id":"{{{MessageId}}}","type":"message","role":"assistant","model":"{{{model}}}","content":[{"type":"text","text":"{{{FakeUpstream.Text}}}"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":{{{AnthInput}}},"cache_creation_input_tokens":{{{AnthCacheWrite}}},"cache_read_input_tokens":{{{AnthCacheRead}}},"output_tokens":{{{AnthOutput}}}}}""";

    private static string Event(string name, string data) => $"event: {name}\ndata: {data}\n\n";
}
