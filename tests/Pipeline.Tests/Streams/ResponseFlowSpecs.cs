using System.Collections.Immutable;
using System.Text;
using Akka.IO;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.TestKit;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Streams;
using AkkaProxy.Pipeline.Tests.TestKit;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Tests.Streams;

/// <summary>One exchange's response as a flow in an embedder's own graph, driven by probes; every spec ends with all its stages stopped.</summary>
public sealed class ResponseFlowSpecs : Akka.TestKit.Xunit2.TestKit
{
    private const string Chat =
        "data: {\"id\":\"c1\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}]}\n\n"
        + "data: {\"id\":\"c1\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
        + "data: {\"id\":\"c1\",\"model\":\"gpt-4o\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":4}}\n\n"
        + "data: [DONE]\n\n";

    private readonly IMaterializer _materializer;

    public ResponseFlowSpecs() : base("akka.loglevel = WARNING") => _materializer = Sys.Materializer();

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    public async Task ChunksSplitAnywhere_ComeOutByteExact_AndTheResultCarriesTheUsage(int chunkSize)
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            ProxyStreamFactory factory = new ProxyStreamBuilder().Build();
            ProxyRun run = factory.CreateRun(Exchanges.Create(ApiKind.ChatCompletions, """{"stream":true,"stream_options":{"include_usage":true}}""", streaming: true));
            run.ApplyRequestStages();
            byte[] stream = Encoding.UTF8.GetBytes(Chat);
            ByteString[] chunks = [.. stream.Chunk(chunkSize).Select(c => ByteString.FromBytes(c))];

            (Task<ExchangeResult> result, Task<IImmutableList<ByteString>> received) = Source.From(chunks)
                .ViaMaterialized(factory.ResponseFlow(run, FrameKind.SseEvent), Keep.Right)
                .ToMaterialized(Sink.Seq<ByteString>(), Keep.Both)
                .Run(_materializer);

            byte[] client = [.. (await received.WaitAsync(TimeSpan.FromSeconds(10))).SelectMany(b => b.ToArray())];
            ExchangeResult end = await result.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(stream, client);
            Assert.Equal(ExchangeOutcome.Completed, end.Outcome);
            Assert.Equal(9, end.Usage.InputTokens);
            Assert.Equal(4, end.Usage.OutputTokens);
            Assert.Equal("c1", end.ResponseId);
        }, _materializer);
    }

    [Fact]
    public async Task AJsonBodyOneBytePerChunk_IsReadWhole_AtTheEnd()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            ProxyStreamFactory factory = new ProxyStreamBuilder().Build();
            ProxyRun run = factory.CreateRun(Exchanges.Create(ApiKind.Responses, "{}"));
            byte[] body = Encoding.UTF8.GetBytes("""{"id":"resp_9","model":"gpt-4o","status":"completed","usage":{"input_tokens":3,"output_tokens":2}}""");

            (Task<ExchangeResult> result, Task<IImmutableList<ByteString>> received) = Source.From(body.Select(b => ByteString.FromBytes([b])))
                .ViaMaterialized(factory.ResponseFlow(run, FrameKind.BodyChunk), Keep.Right)
                .ToMaterialized(Sink.Seq<ByteString>(), Keep.Both)
                .Run(_materializer);

            byte[] client = [.. (await received.WaitAsync(TimeSpan.FromSeconds(10))).SelectMany(b => b.ToArray())];
            Assert.Equal(body, client);
            ExchangeResult end = await result.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(ExchangeOutcome.Completed, end.Outcome);
            Assert.Equal(3, end.Usage.InputTokens);
            Assert.Equal("resp_9", end.ResponseId);
        }, _materializer);
    }

    [Fact]
    public async Task AClientCancel_ReachesTheUpstream_AndTheExchangeEndsClientAborted()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            ProxyStreamFactory factory = new ProxyStreamBuilder().Build();
            ProxyRun run = factory.CreateRun(Exchanges.Create(ApiKind.ChatCompletions, "{}", streaming: true));

            ((TestPublisher.Probe<ByteString> upstream, Task<ExchangeResult> result), TestSubscriber.Probe<ByteString> client) = this.SourceProbe<ByteString>()
                .ViaMaterialized(factory.ResponseFlow(run, FrameKind.SseEvent), Keep.Both)
                .ToMaterialized(this.SinkProbe<ByteString>(), Keep.Both)
                .Run(_materializer);

            client.Request(1);
            upstream.ExpectRequest();
            upstream.SendNext(ByteString.FromString("data: {\"id\":\"c1\",\"choices\":[]}\n\n"));
            Assert.StartsWith("data: {\"id\":\"c1\"", client.ExpectNext().ToString(), StringComparison.Ordinal);
            client.Cancel();

            upstream.ExpectCancellation();
            ExchangeResult end = await result.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(ExchangeOutcome.ClientAborted, end.Outcome);
            Assert.Equal("c1", end.ResponseId);
        }, _materializer);
    }

    [Fact]
    public async Task AStreamThatStopsWithoutItsEnd_IsFailedAsTruncated_WithTheUsageSeen()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            ProxyStreamFactory factory = new ProxyStreamBuilder().Build();
            ProxyRun run = factory.CreateRun(Exchanges.Create(ApiKind.ChatCompletions, "{}", streaming: true));
            byte[] cut = Encoding.UTF8.GetBytes(Chat[..Chat.IndexOf("data: [DONE]", StringComparison.Ordinal)].Replace("\"finish_reason\":\"stop\"", "\"finish_reason\":null", StringComparison.Ordinal));

            Task<ExchangeResult> result = Source.Single(ByteString.FromBytes(cut))
                .ViaMaterialized(factory.ResponseFlow(run, FrameKind.SseEvent), Keep.Right)
                .To(Sink.Ignore<ByteString>())
                .Run(_materializer);

            ExchangeResult end = await result.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(ExchangeOutcome.Failed, end.Outcome);
            Assert.Equal("upstream_truncated", end.ErrorCode);
            Assert.Equal(9, end.Usage.InputTokens);
        }, _materializer);
    }
}
