using System.Text.Json;

namespace AkkaProxy.Host.Tests.Fakes;

/// <summary>
/// A scripted tool-call round trip, as a coding agent makes one, for the fake's Responses (SSE and
/// WebSocket) and Messages endpoints. A request whose user text holds <see cref="RunMarker"/> (Responses:
/// the agent's <c>exec_command</c> tool runs <see cref="Command"/>) or <see cref="ReadMarker"/> followed
/// by a path (Messages: the agent's <c>Read</c> tool reads it) is answered with that tool call; the
/// request that carries the tool's result is answered with text saying whether the result held
/// <see cref="ToolResult"/>. Each step has its own usage, so a test can tell the two records apart.
/// </summary>
public static class FakeToolTurns
{
    public const string RunMarker = "run-tool:";
    public const string ReadMarker = "read-file:";

    /// <summary>The command the Responses tool call asks for: it prints <see cref="ToolResult"/>, which its own text does not contain.</summary>
    public const string Command = "printf 'tool-%s' $((6*7))";

    public const string ToolResult = "tool-42";
    public const string AnswerSeen = "The tool printed " + ToolResult;
    public const string AnswerMissing = "The tool result did not reach me";

    /// <summary>Usage of the step that calls the tool and of the step that answers: input, cached, output.</summary>
    public static readonly (int Input, int Cached, int Output) CallUsage = (410, 0, 17), AnswerUsage = (530, 384, 9);

    /// <summary>The step of a Responses request (its <c>input</c>), or null when it is not part of the round trip.</summary>
    public static Step? ForResponses(JsonElement request)
    {
        if (!request.TryGetProperty("input", out JsonElement input) || input.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        foreach (JsonElement item in input.EnumerateArray())
        {
            if (item.TryGetProperty("type", out JsonElement type) && type.GetString() == "function_call_output")
            {
                return new Step(null, item.GetRawText().Contains(ToolResult, StringComparison.Ordinal));
            }
        }

        return input.GetRawText().Contains(RunMarker, StringComparison.Ordinal) ? new Step(Command, false) : null;
    }

    /// <summary>The step of a Messages request (its last user message), or null when it is not part of the round trip.</summary>
    public static Step? ForMessages(JsonElement request)
    {
        if (!request.TryGetProperty("messages", out JsonElement messages) || messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
        {
            return null;
        }

        JsonElement last = messages[messages.GetArrayLength() - 1];
        string text = last.GetRawText();
        if (last.TryGetProperty("content", out JsonElement content) && content.ValueKind == JsonValueKind.Array
            && content.EnumerateArray().Any(b => b.TryGetProperty("type", out JsonElement t) && t.GetString() == "tool_result"))
        {
            return new Step(null, text.Contains(ToolResult, StringComparison.Ordinal));
        }

        int at = text.IndexOf(ReadMarker, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        // The path runs to the next whitespace or the end of the JSON string.
        int start = at + ReadMarker.Length;
        int end = start;
        while (end < text.Length && !char.IsWhiteSpace(text[end]) && text[end] != '"' && text[end] != '\\')
        {
            end++;
        }

        return new Step(text[start..end], false);
    }

    /// <summary>A Responses turn's events (each one JSON object): the tool call, or the answer.</summary>
    public static IReadOnlyList<string> ResponsesEvents(Step step, string responseId, string model)
    {
        var events = new List<string>();
        int seq = 0;
        (int input, int cached, int output) = step.IsCall ? CallUsage : AnswerUsage;
        string usage = $$$"""{"input_tokens":{{{input}}},"input_tokens_details":{"cached_tokens":{{{cached}}}},"output_tokens":{{{output}}},"output_tokens_details":{"reasoning_tokens":0},"total_tokens":{{{input + output}}}}""";
        string item;
        events.Add($$$"""{"type":"response.created","sequence_number":{{{seq++}}},"response":{{{Response(responseId, model, "in_progress", "", "null")}}}}""");
        if (step.IsCall)
        {
            string arguments = JsonSerializer.Serialize(JsonSerializer.Serialize(new { cmd = step.Tool }));
            item = $$$"""{"id":"fc_{{{responseId}}}","type":"function_call","status":"completed","arguments":{{{arguments}}},"call_id":"call_{{{responseId}}}","name":"exec_command"}""";
            events.Add($$$"""{"type":"response.output_item.added","sequence_number":{{{seq++}}},"output_index":0,"item":{"id":"fc_{{{responseId}}}","type":"function_call","status":"in_progress","arguments":"","call_id":"call_{{{responseId}}}","name":"exec_command"}}""");
            events.Add($$$"""{"type":"response.function_call_arguments.delta","sequence_number":{{{seq++}}},"item_id":"fc_{{{responseId}}}","output_index":0,"delta":{{{arguments}}}}""");
            events.Add($$$"""{"type":"response.function_call_arguments.done","sequence_number":{{{seq++}}},"item_id":"fc_{{{responseId}}}","output_index":0,"arguments":{{{arguments}}}}""");
        }
        else
        {
            string text = step.ResultSeen ? AnswerSeen : AnswerMissing;
            item = $$$"""{"id":"msg_{{{responseId}}}","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","annotations":[],"logprobs":[],"text":"{{{text}}}"}]}""";
            events.Add($$$"""{"type":"response.output_item.added","sequence_number":{{{seq++}}},"output_index":0,"item":{"id":"msg_{{{responseId}}}","type":"message","status":"in_progress","role":"assistant","content":[]}}""");
            events.Add($$$"""{"type":"response.content_part.added","sequence_number":{{{seq++}}},"item_id":"msg_{{{responseId}}}","output_index":0,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":""}}""");
            events.Add($$$"""{"type":"response.output_text.delta","sequence_number":{{{seq++}}},"item_id":"msg_{{{responseId}}}","output_index":0,"content_index":0,"delta":"{{{text}}}","logprobs":[]}""");
            events.Add($$$"""{"type":"response.output_text.done","sequence_number":{{{seq++}}},"item_id":"msg_{{{responseId}}}","output_index":0,"content_index":0,"text":"{{{text}}}","logprobs":[]}""");
            events.Add($$$"""{"type":"response.content_part.done","sequence_number":{{{seq++}}},"item_id":"msg_{{{responseId}}}","output_index":0,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":"{{{text}}}"}}""");
        }

        events.Add($$$"""{"type":"response.output_item.done","sequence_number":{{{seq++}}},"output_index":0,"item":{{{item}}}}""");
        events.Add($$$"""{"type":"response.completed","sequence_number":{{{seq}}},"response":{{{Response(responseId, model, "completed", item, usage)}}}}""");
        return events;
    }

    /// <summary>A Messages stream (SSE, framed): the <c>Read</c> tool call, or the answer.</summary>
    public static IReadOnlyList<string> MessagesStream(Step step, string model)
    {
        (int input, int cached, int output) = step.IsCall ? CallUsage : AnswerUsage;
        string id = step.IsCall ? "msg_tool_call" : "msg_tool_answer";
        var events = new List<string>
        {
            Sse("message_start", $$$"""{"type":"message_start","message":{"id":"{{{id}}}","type":"message","role":"assistant","content":[],"model":"{{{model}}}","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":{{{input}}},"cache_creation_input_tokens":0,"cache_read_input_tokens":{{{cached}}},"output_tokens":1}}""" + "}"),
        };
        if (step.IsCall)
        {
            string partial = JsonSerializer.Serialize(JsonSerializer.Serialize(new { file_path = step.Tool }));
            events.Add(Sse("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_fake1","name":"Read","input":{}}}"""));
            events.Add(Sse("content_block_delta", $$$"""{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":{{{partial}}}}}"""));
        }
        else
        {
            string text = step.ResultSeen ? AnswerSeen : AnswerMissing;
            events.Add(Sse("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"""));
            events.Add(Sse("content_block_delta", $$$"""{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"{{{text}}}"}}"""));
        }

        events.Add(Sse("content_block_stop", """{"type":"content_block_stop","index":0}"""));
        events.Add(Sse("message_delta", $$$"""{"type":"message_delta","delta":{"stop_reason":"{{{(step.IsCall ? "tool_use" : "end_turn")}}}","stop_sequence":null},"usage":{"output_tokens":{{{output}}}}}"""));
        events.Add(Sse("message_stop", """{"type":"message_stop"}"""));
        return events;
    }

    /// <summary>Frames a Responses event for SSE.</summary>
    public static string Sse(string json)
    {
        using JsonDocument doc = JsonDocument.Parse(json);
        return Sse(doc.RootElement.GetProperty("type").GetString()!, json);
    }

    private static string Sse(string name, string data) => $"event: {name}\ndata: {data}\n\n";

    private static string Response(string id, string model, string status, string item, string usage) =>
        $$$"""{"id":"{{{id}}}","object":"response","created_at":1751642570,"status":"{{{status}}}","error":null,"incomplete_details":null,"model":"{{{model}}}","output":[{{{item}}}],"parallel_tool_calls":true,"tool_choice":"auto","tools":[],"usage":{{{usage}}}}""";

    /// <summary>One step of the round trip: a call of the tool on <see cref="Tool"/> (a command or a path), or the answer.</summary>
    public sealed record Step(string? Tool, bool ResultSeen)
    {
        public bool IsCall => Tool is not null;
    }
}
