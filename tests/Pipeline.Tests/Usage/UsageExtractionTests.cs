using AkkaProxy.Pipeline.Tests.TestKit;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Tests.Usage;

/// <summary>Usage on all six paths (Chat, Responses, Anthropic × JSON, SSE), with each API's rules.</summary>
public sealed class UsageExtractionTests
{
    private const string ChatUsage = """{"prompt_tokens":1200,"completion_tokens":300,"total_tokens":1500,"prompt_tokens_details":{"cached_tokens":1024,"cache_write_tokens":64},"completion_tokens_details":{"reasoning_tokens":128}}""";
    private const string ResponsesUsage = """{"input_tokens":328,"input_tokens_details":{"cached_tokens":256,"cache_write_tokens":8},"output_tokens":52,"output_tokens_details":{"reasoning_tokens":32},"total_tokens":380}""";

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(100_000)]
    public void ChatJson_ReadsUsageWhateverTheChunking(int chunkSize)
    {
        string body = $$$"""{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"a \"quoted\" {brace}"},"finish_reason":"stop"}],"usage":{{{ChatUsage}}}}""";

        ProxyExchange exchange = Exchanges.RunBody(ApiKind.ChatCompletions, body, chunkSize);

        AssertUsage(exchange.Usage, input: 1200, cached: 1024, write: 64, output: 300, reasoning: 128);
        Assert.Equal("chatcmpl-1", exchange.ResponseId);
        Assert.Equal("gpt-4o-2024-08-06", exchange.ResponseModel);
        Assert.Equal(TerminalKind.Completed, exchange.Terminal);
        Assert.Equal(176 - 64, exchange.Usage.UncachedInputTokens);
    }

    [Fact]
    public void ChatSse_ReadsTheUsageOnlyChunk_AndDoneCompletes()
    {
        string stream = $$$"""
            data: {"id":"c1","object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],"usage":null}

            data: {"id":"c1","object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}

            data: {"id":"c1","object":"chat.completion.chunk","model":"gpt-4o","choices":[],"usage":{{{ChatUsage}}}}

            data: [DONE]


            """.ReplaceLineEndings("\n");

        (ProxyExchange exchange, string client) = Exchanges.RunSse(ApiKind.ChatCompletions, stream, request: """{"stream":true,"stream_options":{"include_usage":true}}""");

        AssertUsage(exchange.Usage, 1200, 1024, 64, 300, 128);
        Assert.Equal(TerminalKind.Completed, exchange.Terminal);
        Assert.Equal(stream.TrimEnd('\n') + "\n", client.TrimEnd('\n') + "\n");
    }

    [Fact]
    public void ChatSse_UsageOnTheLastContentChunk_IsRead()
    {
        string stream = "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":4,\"total_tokens\":13}}\n\n";

        (ProxyExchange exchange, _) = Exchanges.RunSse(ApiKind.ChatCompletions, stream, model: "compat/llama");

        AssertUsage(exchange.Usage, 9, 0, 0, 4, 0);
        Assert.Equal(TerminalKind.None, exchange.Terminal);
        Assert.True(exchange.Accumulator.FinishedImplicitly);
    }

    [Theory]
    [InlineData("response.completed", "completed", TerminalKind.Completed)]
    [InlineData("response.incomplete", "incomplete", TerminalKind.Incomplete)]
    [InlineData("response.failed", "failed", TerminalKind.Failed)]
    public void ResponsesSse_ReadsUsageFromEveryTerminalEvent(string type, string status, TerminalKind terminal)
    {
        string stream = $$$"""
            event: response.created
            data: {"type":"response.created","sequence_number":0,"response":{"id":"resp_1","model":"gpt-4o","status":"in_progress","usage":null}}

            event: response.output_text.delta
            data: {"type":"response.output_text.delta","sequence_number":1,"item_id":"m","output_index":0,"content_index":0,"delta":"usage","logprobs":[]}

            event: {{{type}}}
            data: {"type":"{{{type}}}","sequence_number":2,"response":{"id":"resp_1","model":"gpt-4o","status":"{{{status}}}","output":[{"type":"message","usage":{"input_tokens":999}}],"usage":{{{ResponsesUsage}}}}}


            """.ReplaceLineEndings("\n");

        (ProxyExchange exchange, _) = Exchanges.RunSse(ApiKind.Responses, stream);

        AssertUsage(exchange.Usage, 328, 256, 8, 52, 32);
        Assert.Equal(terminal, exchange.Terminal);
        Assert.Equal("resp_1", exchange.ResponseId);
        Assert.Equal(2, exchange.Accumulator.LastSequenceNumber);
    }

    [Fact]
    public void ResponsesJson_ReadsTopLevelUsageAndStatus()
    {
        string body = $$$"""{"id":"resp_2","object":"response","status":"incomplete","model":"o4-mini","output":[],"usage":{{{ResponsesUsage}}}}""";

        ProxyExchange exchange = Exchanges.RunBody(ApiKind.Responses, body, 5);

        AssertUsage(exchange.Usage, 328, 256, 8, 52, 32);
        Assert.Equal(TerminalKind.Incomplete, exchange.Terminal);
        Assert.Equal("resp_2", exchange.ResponseId);
    }

    [Theory]
    [InlineData("""{"type":"error","sequence_number":4,"code":"server_error","message":"boom","param":null}""")]
    [InlineData("""{"type":"error","sequence_number":4,"error":{"type":"server_error","code":"server_error","message":"boom","param":null}}""")]
    public void ResponsesErrorEvent_FlatOrNested_EndsTheTurnAsFailed(string error)
    {
        (ProxyExchange exchange, _) = Exchanges.RunSse(ApiKind.Responses, $"event: error\ndata: {error}\n\n");

        Assert.Equal(TerminalKind.Failed, exchange.Terminal);
        Assert.Equal(4, exchange.Accumulator.LastSequenceNumber);
        Assert.Equal(UsageStatus.Missing, exchange.Usage.Status);
    }

    [Fact]
    public void AnthropicSse_ReplacesCumulativeDeltas_NeverAdds()
    {
        string stream = """
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_1","model":"claude-sonnet-4","usage":{"input_tokens":25,"cache_creation_input_tokens":1200,"cache_read_input_tokens":100,"output_tokens":1}}}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":null},"usage":{"output_tokens":10}}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":15,"input_tokens":null}}

            event: message_stop
            data: {"type":"message_stop"}


            """.ReplaceLineEndings("\n");

        (ProxyExchange exchange, _) = Exchanges.RunSse(ApiKind.AnthropicMessages, stream, model: "anthropic/claude-sonnet-4");

        AssertUsage(exchange.Usage, input: 25 + 1200 + 100, cached: 100, write: 1200, output: 15, reasoning: 0);
        Assert.Equal(TerminalKind.Completed, exchange.Terminal);
        Assert.Equal("msg_1", exchange.ResponseId);
    }

    [Fact]
    public void AnthropicSse_AbortedAfterMessageStart_IsPartial()
    {
        string stream = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\n\n";

        (ProxyExchange exchange, _) = Exchanges.RunSse(ApiKind.AnthropicMessages, stream, model: "anthropic/claude");

        Assert.Equal(UsageStatus.Partial, exchange.Usage.Status);
        Assert.Equal(25, exchange.Usage.InputTokens);
        Assert.Equal(TerminalKind.None, exchange.Terminal);
    }

    [Fact]
    public void AnthropicJson_AddsCacheReadsAndWritesToInput()
    {
        string body = """{"id":"msg_9","type":"message","model":"claude","content":[],"usage":{"input_tokens":3,"cache_creation_input_tokens":2048,"cache_read_input_tokens":10,"output_tokens":42}}""";

        ProxyExchange exchange = Exchanges.RunBody(ApiKind.AnthropicMessages, body, 3, model: "anthropic/claude");

        AssertUsage(exchange.Usage, 3 + 2048 + 10, 10, 2048, 42, 0);
        Assert.Equal(TerminalKind.Completed, exchange.Terminal);
    }

    [Theory]
    [InlineData("""{"id":"c","choices":[],"usage":{"prompt_tokens":"ten","completion_tokens":1}}""")]
    [InlineData("""{"id":"c","choices":[],"usage":"lots"}""")]
    [InlineData("""{"id":"c","choices":[],"usage":{"prompt_tokens":-5}}""")]
    public void MalformedUsageObject_IsUnknown_AndTheFrameStillPasses(string chunk)
    {
        (ProxyExchange exchange, string client) = Exchanges.RunSse(ApiKind.ChatCompletions, $"data: {chunk}\n\n", request: """{"stream":true,"stream_options":{"include_usage":true}}""");

        Assert.Equal(UsageStatus.Unknown, exchange.Usage.Status);
        Assert.Equal(0, exchange.Accumulator.UnreadableEvents);
        Assert.Equal($"data: {chunk}\n\n", client);
    }

    [Theory]
    [InlineData(ApiKind.ChatCompletions, "{\"id\":\"c\",\"usage\":{}}")]
    [InlineData(ApiKind.Responses, "{\"id\":\"r\",\"status\":\"completed\",\"usage\":{}}")]
    public void UsageWithoutAnyCounter_IsUnknownNotAReportedZero(ApiKind api, string body)
    {
        ProxyExchange exchange = Exchanges.RunBody(api, body, 1000);

        Assert.Equal(UsageStatus.Unknown, exchange.Usage.Status);
    }

    [Theory]
    [InlineData(ApiKind.ChatCompletions, "{\"id\":\"c\",\"usage\":{\"total_tokens\":30}}")]
    [InlineData(ApiKind.ChatCompletions, "{\"id\":\"c\",\"usage\":{\"prompt_tokens\":null,\"completion_tokens\":null,\"total_tokens\":30}}")]
    [InlineData(ApiKind.Responses, "{\"id\":\"r\",\"status\":\"completed\",\"usage\":{\"total_tokens\":30}}")]
    public void UsageWithOnlyATotal_KeepsTheTotal_AndIsPartial(ApiKind api, string body)
    {
        ProxyExchange exchange = Exchanges.RunBody(api, body, 1000);

        Assert.Equal(UsageStatus.Partial, exchange.Usage.Status);
        Assert.True(exchange.Usage.IsTotalOnly);
        Assert.Equal(30, exchange.Usage.TotalTokens);
        Assert.Equal(0, exchange.Usage.InputTokens);
        Assert.Equal(0, exchange.Usage.OutputTokens);
    }

    [Fact]
    public void AStreamedChatUsageWithOnlyATotal_KeepsTheTotal()
    {
        string stream = "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":\"stop\"}]}\n\n"
            + "data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"total_tokens\":42}}\n\n"
            + "data: [DONE]\n\n";

        (ProxyExchange exchange, _) = Exchanges.RunSse(ApiKind.ChatCompletions, stream, request: """{"stream":true,"stream_options":{"include_usage":true}}""");

        Assert.Equal(UsageStatus.Partial, exchange.Usage.Status);
        Assert.Equal(42, exchange.Usage.TotalTokens);
        Assert.Equal(TerminalKind.Completed, exchange.Terminal);
    }

    [Fact]
    public void UsageWithCountersAndATotal_KeepsTheCounters()
    {
        ProxyExchange exchange = Exchanges.RunBody(ApiKind.ChatCompletions, "{\"id\":\"c\",\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5,\"total_tokens\":999}}", 1000);

        Assert.Equal(UsageStatus.Reported, exchange.Usage.Status);
        Assert.False(exchange.Usage.IsTotalOnly);
        Assert.Equal(15, exchange.Usage.TotalTokens);
    }

    [Theory]
    [InlineData(ApiKind.ChatCompletions)]
    [InlineData(ApiKind.Responses)]
    [InlineData(ApiKind.AnthropicMessages)]
    public void AnEventThatIsNotJson_IsForwardedUnchanged_AndTheStreamGoesOn(ApiKind api)
    {
        (string before, string after) = api switch
        {
            ApiKind.ChatCompletions => (
                "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n",
                "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
                + "data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3}}\n\ndata: [DONE]\n\n"),
            ApiKind.Responses => (
                "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_1\",\"status\":\"in_progress\"}}\n\n",
                "event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":2,\"response\":{\"id\":\"resp_1\",\"status\":\"completed\",\"usage\":{\"input_tokens\":7,\"output_tokens\":3}}}\n\n"),
            _ => (
                "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"usage\":{\"input_tokens\":7,\"output_tokens\":1}}}\n\n",
                "event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":3}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"),
        };
        const string broken = "data: {broken\n\n";
        string stream = before + broken + after;

        (ProxyExchange exchange, string client) = Exchanges.RunSse(api, stream, request: """{"stream":true,"stream_options":{"include_usage":true}}""");

        Assert.Equal(stream, client);
        Assert.Equal(1, exchange.Accumulator.UnreadableEvents);
        Assert.Equal(UsageStatus.Reported, exchange.Usage.Status);
        Assert.Equal(7, exchange.Usage.InputTokens);
        Assert.Equal(3, exchange.Usage.OutputTokens);
        Assert.Equal(TerminalKind.Completed, exchange.Terminal);
        Assert.Equal([UsageWarnings.MalformedEvent], exchange.Accumulator.Warnings());
    }

    [Fact]
    public void AnUnreadableEvent_WithNoUsageAfterIt_LeavesTheUsageUnknown()
    {
        (ProxyExchange exchange, _) = Exchanges.RunSse(ApiKind.ChatCompletions, "data: {\"id\":\"a\",\"choices\":[]}\n\ndata: {broken\n\n");

        Assert.Equal(UsageStatus.Unknown, exchange.Usage.Status);
    }

    [Fact]
    public void DataAfterDone_IsForwarded_ButItsUsageIsNeverBilled()
    {
        const string real = "data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":2}}\n\n";
        const string late = "data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":260,\"completion_tokens\":52}}\n\n";
        string stream = "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"},\"finish_reason\":\"stop\"}]}\n\n"
            + real + "data: [DONE]\n\n" + late;

        (ProxyExchange exchange, string client) = Exchanges.RunSse(ApiKind.ChatCompletions, stream, request: """{"stream":true,"stream_options":{"include_usage":true}}""");

        Assert.Equal(stream, client);
        Assert.Equal(10, exchange.Usage.InputTokens);
        Assert.Equal(2, exchange.Usage.OutputTokens);
        Assert.Equal(UsageStatus.Reported, exchange.Usage.Status);
        Assert.Equal([UsageWarnings.DataAfterDone], exchange.Accumulator.Warnings());
    }

    [Fact]
    public void DataAfterDone_IsForwarded_EvenWhenTheRelayHidesTheUsageChunk()
    {
        // The client did not ask for usage: the relay injected include_usage and hides the real usage
        // chunk, but a chunk after [DONE] is not the relay's to hide or to bill.
        const string late = "data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":260,\"completion_tokens\":52}}\n\n";
        string stream = "data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":2}}\n\ndata: [DONE]\n\n" + late;

        (ProxyExchange exchange, string client) = Exchanges.RunSse(ApiKind.ChatCompletions, stream, request: """{"stream":true}""");

        Assert.Equal("data: [DONE]\n\n" + late, client);
        Assert.Equal(10, exchange.Usage.InputTokens);
    }

    [Theory]
    [InlineData("null")]
    [InlineData("\"7\"")]
    [InlineData("1.5")]
    public void OddSequenceNumber_IsIgnored_NotAFailure(string sequence)
    {
        string stream = $"event: response.output_text.delta\ndata: {{\"type\":\"response.output_text.delta\",\"sequence_number\":{sequence},\"delta\":\"x\"}}\n\n";

        (ProxyExchange exchange, string client) = Exchanges.RunSse(ApiKind.Responses, stream);

        Assert.Equal(0, exchange.Accumulator.UnreadableEvents);
        Assert.Equal(stream, client);
        Assert.Equal(-1, exchange.Accumulator.LastSequenceNumber);
    }

    [Fact]
    public void EscapedPropertyNames_AreStillRecognised()
    {
        string body = """{"id":"c","choices":[],"\u0075sage":{"prompt_tokens":7,"completion_tokens":2}}""";

        ProxyExchange exchange = Exchanges.RunBody(ApiKind.ChatCompletions, body, 4);

        AssertUsage(exchange.Usage, 7, 0, 0, 2, 0);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(9)]
    public void BodyCutAtATokenBoundary_IsTruncated_NotComplete(int chunkSize)
    {
        ProxyExchange exchange = Exchanges.RunBody(ApiKind.ChatCompletions, "{\"id\":\"c\",\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":2}", chunkSize);

        Assert.Equal(BodyScanResult.Truncated, exchange.BodyScan!.Result);
        Assert.Equal(UsageStatus.Unknown, exchange.Usage.Status);
        Assert.Equal(TerminalKind.None, exchange.Terminal);
    }

    [Fact]
    public void HugeStringToken_IsReadInLinearTime_AndUsageAfterItStillCounts()
    {
        string body = "{\"id\":\"c\",\"choices\":[{\"message\":{\"content\":\"" + new string('x', 4 * 1024 * 1024) + "\"}}],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":2}}";

        ProxyExchange exchange = Exchanges.RunBody(ApiKind.ChatCompletions, body, 4096);

        Assert.Equal(BodyScanResult.Complete, exchange.BodyScan!.Result);
        AssertUsage(exchange.Usage, 7, 0, 0, 2, 0);
    }

    [Fact]
    public void NonJsonBody_GivesUnknownUsage()
    {
        ProxyExchange exchange = Exchanges.RunBody(ApiKind.ChatCompletions, "<html>oops</html>", 4);

        Assert.Equal(UsageStatus.Unknown, exchange.Usage.Status);
    }

    private static void AssertUsage(TokenUsage usage, long input, long cached, long write, long output, long reasoning)
    {
        Assert.Equal(UsageStatus.Reported, usage.Status);
        Assert.Equal(input, usage.InputTokens);
        Assert.Equal(cached, usage.CachedInputTokens);
        Assert.Equal(write, usage.CacheWriteTokens);
        Assert.Equal(output, usage.OutputTokens);
        Assert.Equal(reasoning, usage.ReasoningTokens);
        Assert.Equal(input + output, usage.TotalTokens);
    }
}
