using System.Net.Http.Headers;
using System.Text;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Tests.Usage;

/// <summary>Bedrock's usage outside its streams: Converse's JSON body, and InvokeModel's token-count headers.</summary>
public sealed class BedrockUsageTests
{
    [Fact]
    public void AConverseBody_ReportsItsUsage_CacheReadsAndWritesAsInput()
    {
        const string body = """{"metrics":{"latencyMs":380},"output":{"message":{"content":[{"text":"Hi"}],"role":"assistant"}},"stopReason":"end_turn","usage":{"inputTokens":4,"outputTokens":18,"totalTokens":1213,"cacheReadInputTokens":1191,"cacheWriteInputTokens":0}}""";
        var accumulator = new UsageAccumulator(ApiKind.BedrockConverse);
        var scanner = new JsonEventScanner();
        scanner.ScanDocument(Encoding.UTF8.GetBytes(body));
        accumulator.Apply(scanner.Facts, scanner, isWholeBody: true);

        TokenUsage usage = accumulator.Snapshot();
        Assert.Equal(UsageStatus.Reported, usage.Status);
        Assert.Equal(TerminalKind.Completed, accumulator.Terminal);
        Assert.Equal(4 + 1191, usage.InputTokens);
        Assert.Equal(1191, usage.CachedInputTokens);
        Assert.Equal(0, usage.CacheWriteTokens);
        Assert.Equal(18, usage.OutputTokens);
    }

    [Fact]
    public void InvokeModelsHeaders_AreItsUsage_AndWinOverTheModelsOwnBody()
    {
        using var response = new HttpResponseMessage();
        response.Headers.TryAddWithoutValidation(BedrockUsage.InputTokensHeader, "120");
        response.Headers.TryAddWithoutValidation(BedrockUsage.OutputTokensHeader, "33");
        response.Headers.TryAddWithoutValidation(BedrockUsage.CacheReadTokensHeader, "1000");
        response.Headers.TryAddWithoutValidation(BedrockUsage.CacheWriteTokensHeader, "24");
        var accumulator = new UsageAccumulator(ApiKind.BedrockInvoke);
        BedrockUsage.FromHeaders(response.Headers, accumulator);

        var scanner = new JsonEventScanner();
        scanner.ScanDocument("""{"id":"msg_1","type":"message","content":[],"usage":{"input_tokens":1,"output_tokens":1}}"""u8);
        accumulator.Apply(scanner.Facts, scanner, isWholeBody: true);

        TokenUsage usage = accumulator.Snapshot();
        Assert.Equal(UsageStatus.Reported, usage.Status);
        Assert.Equal(120 + 1000 + 24, usage.InputTokens);
        Assert.Equal(1000, usage.CachedInputTokens);
        Assert.Equal(24, usage.CacheWriteTokens);
        Assert.Equal(33, usage.OutputTokens);
    }

    [Fact]
    public void WithoutHeaders_AnInvokeBodysOwnUsage_IsRead_AndABodyWithNoneIsMissing()
    {
        var accumulator = new UsageAccumulator(ApiKind.BedrockInvoke);
        BedrockUsage.FromHeaders(new HttpResponseMessage().Headers, accumulator);
        var scanner = new JsonEventScanner();
        scanner.ScanDocument("""{"generation":"Hi","prompt_token_count":8,"generation_token_count":2,"stop_reason":"stop"}"""u8);
        accumulator.Apply(scanner.Facts, scanner, isWholeBody: true);
        Assert.Equal(UsageStatus.Missing, accumulator.Snapshot().Status); // Llama's own names are not usage the relay knows

        var claude = new UsageAccumulator(ApiKind.BedrockInvoke);
        scanner.ScanDocument("""{"type":"message","usage":{"input_tokens":7,"output_tokens":3}}"""u8);
        claude.Apply(scanner.Facts, scanner, isWholeBody: true);
        Assert.Equal(UsageStatus.Reported, claude.Snapshot().Status);
        Assert.Equal(7, claude.Snapshot().InputTokens);
    }

    [Fact]
    public void AHeaderThatIsNoCount_IsLeftOut()
    {
        using var response = new HttpResponseMessage();
        response.Headers.TryAddWithoutValidation(BedrockUsage.InputTokensHeader, "-5");
        response.Headers.TryAddWithoutValidation(BedrockUsage.OutputTokensHeader, "many");
        var accumulator = new UsageAccumulator(ApiKind.BedrockInvoke);
        BedrockUsage.FromHeaders(response.Headers, accumulator);
        Assert.Equal(UsageStatus.Missing, accumulator.Snapshot().Status);
    }

    [Theory]
    [InlineData("""{"id":"c1","usage":{"prompt_tokens":99,"completion_tokens":88,"prompt_tokens_details":{"cached_tokens":50}},"amazon-bedrock-invocationMetrics":{"inputTokenCount":40,"outputTokenCount":12}}""")]
    [InlineData("""{"amazon-bedrock-invocationMetrics":{"inputTokenCount":40,"outputTokenCount":12},"usage":{"prompt_tokens":99,"completion_tokens":88,"prompt_tokens_details":{"cached_tokens":50}}}""")]
    public void InvocationMetrics_WinOverTheModelsOwnUsage_InTheSameChunk_WhicheverComesFirst(string chunk)
    {
        var accumulator = new UsageAccumulator(ApiKind.BedrockInvoke);
        var scanner = new JsonEventScanner { ReadsInvocationMetrics = true };
        scanner.ScanDocument(Encoding.UTF8.GetBytes(chunk));
        accumulator.Apply(scanner.Facts, scanner, isWholeBody: false);

        TokenUsage usage = accumulator.Snapshot();
        Assert.Equal(TerminalKind.Completed, accumulator.Terminal);
        Assert.Equal(UsageStatus.Reported, usage.Status);
        Assert.Equal(40, usage.InputTokens);
        Assert.Equal(0, usage.CachedInputTokens);
        Assert.Equal(12, usage.OutputTokens);
    }

    [Fact]
    public void AnOpenAiShapedModelsOwnUsage_KeepsItsCachedTokens_AsPartialUsage()
    {
        var accumulator = new UsageAccumulator(ApiKind.BedrockInvoke);
        var scanner = new JsonEventScanner { ReadsInvocationMetrics = true };
        scanner.ScanDocument("""{"choices":[],"usage":{"prompt_tokens":99,"completion_tokens":8,"prompt_tokens_details":{"cached_tokens":50}}}"""u8);
        accumulator.Apply(scanner.Facts, scanner, isWholeBody: false);

        TokenUsage usage = accumulator.Snapshot();
        Assert.Equal(UsageStatus.Partial, usage.Status);
        Assert.Equal(99, usage.InputTokens);
        Assert.Equal(50, usage.CachedInputTokens);
    }

    [Fact]
    public void OtherApis_NeverReadInvocationMetrics()
    {
        var accumulator = new UsageAccumulator(ApiKind.ChatCompletions);
        var scanner = new JsonEventScanner(); // the tap reads them for InvokeModel only
        scanner.ScanDocument("""{"choices":[],"amazon-bedrock-invocationMetrics":{"inputTokenCount":1,"outputTokenCount":1},"usage":{"prompt_tokens":70,"completion_tokens":5}}"""u8);
        accumulator.Apply(scanner.Facts, scanner, isWholeBody: false);
        Assert.Equal(70, accumulator.Snapshot().InputTokens);
    }
}
