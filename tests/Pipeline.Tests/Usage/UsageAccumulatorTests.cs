using System.Text;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Tests.Usage;

public sealed class UsageAccumulatorTests
{
    [Fact]
    public void ResponsesStream_DocumentWithoutEventType_GivesNeitherIdNorUsage()
    {
        var accumulator = new UsageAccumulator(ApiKind.Responses);

        Apply(accumulator, """{"id":"resp_other","model":"gpt-x","output":[],"usage":{"input_tokens":10,"output_tokens":20}}""");
        Apply(accumulator, """{"type":"response.output_text.delta","id":"item_1","delta":"hi"}""");

        Assert.Null(accumulator.ResponseId);
        Assert.Null(accumulator.ResponseModel);
        Assert.Equal(UsageStatus.Missing, accumulator.Snapshot().Status);

        Apply(accumulator, """{"type":"response.created","response":{"id":"resp_1","model":"gpt-4o"}}""");

        Assert.Equal("resp_1", accumulator.ResponseId);
        Assert.Equal("gpt-4o", accumulator.ResponseModel);
    }

    [Fact]
    public void ChatStream_TakesTheChunkId()
    {
        var accumulator = new UsageAccumulator(ApiKind.ChatCompletions);

        Apply(accumulator, """{"id":"chatcmpl-1","model":"gpt-4o","choices":[{"index":0,"delta":{"content":"hi"}}]}""");

        Assert.Equal("chatcmpl-1", accumulator.ResponseId);
        Assert.Equal("gpt-4o", accumulator.ResponseModel);
    }

    private static void Apply(UsageAccumulator accumulator, string json)
    {
        var scanner = new JsonEventScanner { CaptureIdentity = accumulator.WantsIdentity };
        scanner.ScanDocument(Encoding.UTF8.GetBytes(json));
        accumulator.Apply(scanner.Facts, scanner, isWholeBody: false);
    }
}
