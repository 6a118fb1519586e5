using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Streams;
using AkkaProxy.Pipeline.Tests.TestKit;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Tests.Usage;

public sealed class UsageTapStageTests
{
    private static readonly ProxyStreamFactory Factory = new ProxyStreamBuilder().Build();

    [Theory]
    [InlineData(ApiKind.ChatCompletions, """{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}}""", "chatcmpl-1", "gpt-4o")]
    [InlineData(ApiKind.Responses, """{"id":"resp_1","object":"response","model":"gpt-4o","status":"completed","output":[{"id":"msg_1","type":"message"}],"usage":{"input_tokens":3,"output_tokens":4}}""", "resp_1", "gpt-4o")]
    [InlineData(ApiKind.AnthropicMessages, """{"id":"msg_1","type":"message","model":"claude-x","content":[],"usage":{"input_tokens":3,"output_tokens":4}}""", "msg_1", "claude-x")]
    public void NonStreamingBody_CapturesResponseIdAndModel(ApiKind api, string body, string id, string model)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(body);
        foreach (int chunkSize in new[] { bytes.Length, 7, 1 })
        {
            ProxyExchange exchange = RunBody(api, bytes, chunkSize);

            Assert.Equal(id, exchange.ResponseId);
            Assert.Equal(model, exchange.ResponseModel);
            Assert.Equal(3, exchange.Usage.InputTokens);
            Assert.Equal(UsageStatus.Reported, exchange.Usage.Status);
        }
    }

    [Theory]
    [InlineData("data:\n\n")]
    [InlineData("data: \n\n")]
    [InlineData("data:   \r\n\r\n")]
    [InlineData("data: \t\ndata:  \n\n")]
    public async Task BlankEventData_PassesThroughWithoutEndingTheStream(string blankEvent)
    {
        string stream = "data: {\"type\":\"response.created\",\"response\":{\"id\":\"resp_1\",\"model\":\"gpt-4o\"}}\n\n"
            + blankEvent
            + "data: {\"type\":\"response.completed\",\"response\":{\"usage\":{\"input_tokens\":5,\"output_tokens\":2}}}\n\n";
        byte[] input = Encoding.UTF8.GetBytes(stream);
        var exchange = new ProxyExchange("test", ApiKind.Responses, Route(), ReadOnlyMemory<byte>.Empty, isStreaming: true, DateTimeOffset.UnixEpoch);
        var output = new MemoryStream();
        PipeWriter client = PipeWriter.Create(output);

        PumpResult result = await Factory.CreateRun(exchange).PumpAsync(PipeReader.Create(new ReadOnlySequence<byte>(input)), client, FrameKind.SseEvent, null, TimeProvider.System, CancellationToken.None);
        await client.CompleteAsync();

        Assert.Equal(PumpResult.UpstreamEnded, result);
        Assert.Equal(input, output.ToArray());
        Assert.Equal(TerminalKind.Completed, exchange.Terminal);
        Assert.Equal(UsageStatus.Reported, exchange.Usage.Status);
        Assert.Equal(5, exchange.Usage.InputTokens);
    }

    [Fact]
    public async Task EventDataThatIsNotJson_IsRelayed_AndTheStreamReachesItsEnd()
    {
        byte[] input = Encoding.UTF8.GetBytes("data: {\"type\":\n\ndata: {\"type\":\"response.completed\",\"response\":{\"usage\":{\"input_tokens\":4,\"output_tokens\":2}}}\n\n");
        var exchange = new ProxyExchange("test", ApiKind.Responses, Route(), ReadOnlyMemory<byte>.Empty, isStreaming: true, DateTimeOffset.UnixEpoch);
        var output = new MemoryStream();
        PipeWriter client = PipeWriter.Create(output);

        PumpResult result = await Factory.CreateRun(exchange).PumpAsync(PipeReader.Create(new ReadOnlySequence<byte>(input)), client, FrameKind.SseEvent, null, TimeProvider.System, CancellationToken.None);

        Assert.Equal(PumpResult.UpstreamEnded, result);
        Assert.Equal(input, output.ToArray());
        Assert.Equal(TerminalKind.Completed, exchange.Terminal);
        Assert.Equal(UsageStatus.Reported, exchange.Usage.Status);
        Assert.Equal(4, exchange.Usage.InputTokens);
        Assert.Equal(1, exchange.Accumulator.UnreadableEvents);
    }

    private static ProxyExchange RunBody(ApiKind api, byte[] body, int chunkSize)
    {
        var exchange = new ProxyExchange("test", api, Route(), ReadOnlyMemory<byte>.Empty, isStreaming: false, DateTimeOffset.UnixEpoch);
        ProxyRun run = Factory.CreateRun(exchange);
        for (int offset = 0; offset < body.Length; offset += chunkSize)
        {
            var chunk = new ReadOnlySequence<byte>(body, offset, Math.Min(chunkSize, body.Length - offset));
            var frame = new ResponseFrame(FrameKind.BodyChunk, chunk, default, chunk, hasData: true);
            Assert.True(run.ProcessFrame(ref frame));
        }

        run.Complete();
        return exchange;
    }

    private static ProviderRoute Route()
    {
        var router = new ModelRouter(new RoutingOptions { Providers = { new ProviderOptions { Name = "openai", Kind = ProviderKind.OpenAI, BaseUrl = "http://127.0.0.1:1/v1" } } });
        Assert.True(router.TryResolve("openai/x", out ProviderRoute route, out string error), error);
        return route;
    }
}
