using System.Buffers;
using System.Text;
using AkkaProxy.Pipeline.Framing;
using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Tests.TestKit;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Tests.Usage;

/// <summary>
/// Gemini's <c>usageMetadata</c> read as the relay's usage: the prompt with its cached content as input,
/// candidates and thoughts as output (thoughts also as reasoning), the latest chunk's counts replacing
/// the earlier ones, and reported only once a candidate's <c>finishReason</c> came; CRLF-framed SSE
/// split at every byte reads the same.
/// </summary>
public sealed class GeminiUsageTests
{
    private const string Early =
        """{"candidates":[{"content":{"parts":[{"text":"Hel"}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":412,"candidatesTokenCount":3,"totalTokenCount":479,"cachedContentTokenCount":256,"thoughtsTokenCount":64},"modelVersion":"gemini-2.5-flash","responseId":"r1"}""";

    private const string Final =
        """{"candidates":[{"content":{"parts":[{"text":"lo"}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":412,"candidatesTokenCount":38,"totalTokenCount":514,"cachedContentTokenCount":256,"promptTokensDetails":[{"modality":"TEXT","tokenCount":412}],"thoughtsTokenCount":64},"modelVersion":"gemini-2.5-flash","responseId":"r1"}""";

    private static UsageAccumulator Apply(params string[] documents)
    {
        var accumulator = new UsageAccumulator(ApiKind.GeminiGenerateContent);
        var scanner = new JsonEventScanner { CaptureIdentity = true };
        foreach (string document in documents)
        {
            scanner.ScanDocument(Encoding.UTF8.GetBytes(document));
            accumulator.Apply(scanner.Facts, scanner, isWholeBody: false);
        }

        return accumulator;
    }

    [Fact]
    public void TheFinishingChunk_ReportsItsCounts_ThoughtsCountedAsOutput()
    {
        UsageAccumulator accumulator = Apply(Early, Final);
        TokenUsage usage = accumulator.Snapshot();
        Assert.Equal(UsageStatus.Reported, usage.Status);
        Assert.Equal(412, usage.InputTokens);
        Assert.Equal(256, usage.CachedInputTokens);
        Assert.Equal(38 + 64, usage.OutputTokens);
        Assert.Equal(64, usage.ReasoningTokens);
        Assert.Equal(156, usage.UncachedInputTokens);
        Assert.True(accumulator.FinishedImplicitly); // the stream ends without a terminal event after it
        Assert.Equal("r1", accumulator.ResponseId);
        Assert.Equal("gemini-2.5-flash", accumulator.ResponseModel);
    }

    [Fact]
    public void AStreamCutBeforeItsFinishingChunk_IsPartial_WithTheLatestCounts()
    {
        UsageAccumulator accumulator = Apply(Early);
        TokenUsage usage = accumulator.Snapshot();
        Assert.Equal(UsageStatus.Partial, usage.Status);
        Assert.Equal(3 + 64, usage.OutputTokens);
        Assert.False(accumulator.FinishedImplicitly);
    }

    [Fact]
    public void APromptBlockedByGemini_EndsTheResponse_WithItsPromptTokensReported()
    {
        UsageAccumulator accumulator = Apply("""{"promptFeedback":{"blockReason":"SAFETY","safetyRatings":[]},"usageMetadata":{"promptTokenCount":57,"totalTokenCount":57},"modelVersion":"gemini-2.5-flash","responseId":"r2"}""");
        Assert.True(accumulator.FinishedImplicitly); // no candidate, no finishReason: the block is the answer, not a cut stream
        Assert.Equal(UsageStatus.Reported, accumulator.Snapshot().Status);
        Assert.Equal(57, accumulator.Snapshot().InputTokens);
        Assert.Equal(0, accumulator.Snapshot().OutputTokens);
    }

    [Fact]
    public void ToolUsePromptTokens_AreInput()
    {
        TokenUsage usage = Apply(Final.Replace("\"thoughtsTokenCount\":64", "\"thoughtsTokenCount\":64,\"toolUsePromptTokenCount\":90", StringComparison.Ordinal)).Snapshot();
        Assert.Equal(412 + 90, usage.InputTokens);
        Assert.Equal(38 + 64, usage.OutputTokens);
    }

    [Fact]
    public void AWholeBody_IsCompleted_AndAnErrorObject_Failed()
    {
        var accumulator = new UsageAccumulator(ApiKind.GeminiGenerateContent);
        var scanner = new JsonEventScanner();
        scanner.ScanDocument(Encoding.UTF8.GetBytes(Final));
        accumulator.Apply(scanner.Facts, scanner, isWholeBody: true);
        Assert.Equal(TerminalKind.Completed, accumulator.Terminal);
        Assert.Equal(UsageStatus.Reported, accumulator.Snapshot().Status);

        UsageAccumulator failed = Apply(Early, """{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}""");
        Assert.Equal(TerminalKind.Failed, failed.Terminal);
    }

    [Fact]
    public void CrlfFramedChunks_SplitAtEveryByte_ReadTheSame()
    {
        byte[] bytes = Encoding.UTF8.GetBytes($"data: {Final}\r\n\r\n");
        for (int split = 1; split < bytes.Length; split++)
        {
            ReadOnlySequence<byte> buffer = Sequences.SplitAt(bytes, split);
            var decoder = new SseFrameDecoder(1024 * 1024);
            Assert.Equal(DecodeStatus.Frame, decoder.TryRead(ref buffer, isFinalBlock: true, out ResponseFrame frame));
            Assert.Equal(Final, Encoding.UTF8.GetString(frame.Data.ToArray()));
            Assert.Equal(bytes.Length, frame.Raw.Length);

            var scanner = new JsonEventScanner();
            scanner.ScanDocument(frame.Data);
            Assert.Equal(412, scanner.Facts.Usage.Input);
            Assert.Equal(256, scanner.Facts.Usage.Cached);
            Assert.Equal(64, scanner.Facts.Usage.Reasoning);
            Assert.True(scanner.Facts.FinishReasonSeen);
        }
    }
}
