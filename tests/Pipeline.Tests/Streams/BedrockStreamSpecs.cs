using System.IO.Pipelines;
using Akka.Streams;
using Akka.Streams.TestKit;
using AkkaProxy.Pipeline.Framing;
using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Streams;
using AkkaProxy.Pipeline.Tests.TestKit;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Tests.Streams;

/// <summary>
/// Bedrock's event streams through a connection's graph: the frame decoder splits AWS's binary framing
/// into messages and the usage tap reads them, whatever the reads' boundaries; a corrupt message ends
/// the exchange with what came before it relayed and accounted.
/// </summary>
public sealed class BedrockStreamSpecs : Akka.TestKit.Xunit2.TestKit
{
    private static readonly byte[] Converse =
    [
        .. EventStreams.Event("messageStart", """{"p":"abcd","role":"assistant"}"""),
        .. EventStreams.Event("contentBlockDelta", """{"contentBlockIndex":0,"delta":{"text":"Hello"},"p":"ab"}"""),
        .. EventStreams.Event("contentBlockStop", """{"contentBlockIndex":0,"p":"abcdef"}"""),
        .. EventStreams.Event("messageStop", """{"p":"abcdefgh","stopReason":"end_turn"}"""),
        .. EventStreams.Event("metadata", """{"metrics":{"latencyMs":412},"p":"abc","usage":{"inputTokens":25,"outputTokens":15,"totalTokens":1240,"cacheReadInputTokens":1100,"cacheWriteInputTokens":100}}"""),
    ];

    // Claude's own stream inside InvokeModel's chunks; Bedrock adds its metrics to the last one.
    private static readonly byte[] Invoke =
    [
        .. EventStreams.Chunk("""{"type":"message_start","message":{"id":"msg_bdrk_1","model":"claude-3-5-haiku-20241022","usage":{"input_tokens":30,"output_tokens":1}}}"""),
        .. EventStreams.Chunk("""{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}"""),
        .. EventStreams.Chunk("""{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":8}}"""),
        .. EventStreams.Chunk("""{"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":31,"outputTokenCount":9,"invocationLatency":512,"firstByteLatency":200,"cacheReadInputTokenCount":64,"cacheWriteInputTokenCount":0}}"""),
    ];

    private readonly IMaterializer _materializer;

    public BedrockStreamSpecs() : base("akka.loglevel = WARNING") => _materializer = Sys.Materializer();

    [Fact]
    public async Task AConverseStream_SplitAtEveryByte_IsRelayedByteExact_AndItsMetadataUsageBilled()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            ProxyStreamFactory factory = new ProxyStreamBuilder().Build();
            var graph = new ConnectionGraph(factory, _materializer);
            for (int split = 1; split < Converse.Length; split++)
            {
                (PumpResult result, ProxyExchange exchange, byte[] client) = await PumpAsync(graph, factory, ApiKind.BedrockConverse, new ScriptedReader(Converse, [split, Converse.Length]));

                Assert.Equal(PumpResult.UpstreamEnded, result);
                Assert.True(Converse.AsSpan().SequenceEqual(client), $"split at {split}: the client's bytes differ");
                Assert.Equal(TerminalKind.Completed, exchange.Terminal);
                Assert.Equal(UsageStatus.Reported, exchange.Usage.Status);
                Assert.Equal(25 + 1100 + 100, exchange.Usage.InputTokens); // Bedrock counts cache reads and writes outside inputTokens
                Assert.Equal(1100, exchange.Usage.CachedInputTokens);
                Assert.Equal(100, exchange.Usage.CacheWriteTokens);
                Assert.Equal(15, exchange.Usage.OutputTokens);
            }

            graph.Shutdown();
            await graph.Stopped.WaitAsync(TimeSpan.FromSeconds(10));
        }, _materializer);
    }

    [Fact]
    public async Task AnInvokeStream_SplitAtEveryByte_BillsBedrocksInvocationMetrics()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            ProxyStreamFactory factory = new ProxyStreamBuilder().Build();
            var graph = new ConnectionGraph(factory, _materializer);
            for (int split = 1; split < Invoke.Length; split++)
            {
                (PumpResult result, ProxyExchange exchange, byte[] client) = await PumpAsync(graph, factory, ApiKind.BedrockInvoke, new ScriptedReader(Invoke, [split, Invoke.Length]));

                Assert.Equal(PumpResult.UpstreamEnded, result);
                Assert.True(Invoke.AsSpan().SequenceEqual(client), $"split at {split}: the client's bytes differ");
                Assert.Equal(TerminalKind.Completed, exchange.Terminal);
                Assert.Equal(UsageStatus.Reported, exchange.Usage.Status);
                Assert.Equal(31 + 64, exchange.Usage.InputTokens);
                Assert.Equal(64, exchange.Usage.CachedInputTokens);
                Assert.Equal(9, exchange.Usage.OutputTokens);
                Assert.Equal("msg_bdrk_1", exchange.ResponseId);
            }

            graph.Shutdown();
            await graph.Stopped.WaitAsync(TimeSpan.FromSeconds(10));
        }, _materializer);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ACorruptMessage_EndsTheExchange_WithTheMessagesBeforeItRelayed_AndTheirUsageKept(bool inThePrelude)
    {
        EventStreamError corruption = inThePrelude ? EventStreamError.PreludeCrc : EventStreamError.MessageCrc;
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            ProxyStreamFactory factory = new ProxyStreamBuilder().Build();
            var graph = new ConnectionGraph(factory, _materializer);
            byte[] first = EventStreams.Chunk("""{"type":"message_start","message":{"id":"msg_2","usage":{"input_tokens":40,"output_tokens":1}}}""");
            byte[] second = EventStreams.Chunk("""{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}""");
            byte[] bad = EventStreams.Chunk("""{"type":"message_delta","usage":{"output_tokens":7}}""");
            bad[corruption == EventStreamError.PreludeCrc ? 9 : bad.Length - 10] ^= 0x20; // one bit: the prelude's CRC, or a payload byte
            byte[] stream = [.. first, .. second, .. bad, .. EventStreams.Chunk("""{"type":"message_stop"}""")];

            (PumpResult result, ProxyExchange exchange, byte[] client) = await PumpAsync(graph, factory, ApiKind.BedrockInvoke, new ScriptedReader(stream, [first.Length + 3, stream.Length]));

            Assert.Equal(PumpResult.UpstreamCorrupt, result);
            Assert.Equal(corruption, exchange.StreamError);
            Assert.Equal([.. first, .. second], client); // nothing of the bad message or after it
            Assert.Equal(TerminalKind.None, exchange.Terminal);
            Assert.Equal(UsageStatus.Partial, exchange.Usage.Status);
            Assert.Equal(40, exchange.Usage.InputTokens);

            // The graph goes on with the connection's next exchange.
            (PumpResult next, _, byte[] nextClient) = await PumpAsync(graph, factory, ApiKind.BedrockConverse, new ScriptedReader(Converse, [Converse.Length]));
            Assert.Equal(PumpResult.UpstreamEnded, next);
            Assert.Equal(Converse, nextClient);

            graph.Shutdown();
            await graph.Stopped.WaitAsync(TimeSpan.FromSeconds(10));
        }, _materializer);
    }

    [Fact]
    public async Task AStreamCutInsideAMessage_EndsAsTruncated_WithTheWholeMessagesBeforeItRelayed()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            ProxyStreamFactory factory = new ProxyStreamBuilder().Build();
            var graph = new ConnectionGraph(factory, _materializer);
            int cut = Converse.Length - 20; // inside the metadata message
            int whole = Converse.AsSpan().IndexOf(EventStreams.Event("metadata", """{"metrics":{"latencyMs":412},"p":"abc","usage":{"inputTokens":25,"outputTokens":15,"totalTokens":1240,"cacheReadInputTokens":1100,"cacheWriteInputTokens":100}}"""));

            (PumpResult result, ProxyExchange exchange, byte[] client) = await PumpAsync(graph, factory, ApiKind.BedrockConverse, new ScriptedReader(Converse[..cut], [cut]));

            Assert.Equal(PumpResult.UpstreamCorrupt, result);
            Assert.Equal(EventStreamError.Truncated, exchange.StreamError);
            Assert.Equal(Converse[..whole], client);
            Assert.Equal(TerminalKind.Completed, exchange.Terminal); // messageStop came: the answer is whole, its usage is not
            Assert.Equal(UsageStatus.Missing, exchange.Usage.Status);

            graph.Shutdown();
            await graph.Stopped.WaitAsync(TimeSpan.FromSeconds(10));
        }, _materializer);
    }

    [Fact]
    public async Task AnExceptionMessage_EndsTheResponseAsFailed_AndIsRelayed()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            ProxyStreamFactory factory = new ProxyStreamBuilder().Build();
            var graph = new ConnectionGraph(factory, _materializer);
            int cut = Converse.AsSpan().IndexOf(EventStreams.Event("contentBlockStop", """{"contentBlockIndex":0,"p":"abcdef"}"""));
            byte[] stream = [.. Converse[..cut], .. EventStreams.Exception("throttlingException", "Too many tokens, please wait.")];

            (PumpResult result, ProxyExchange exchange, byte[] client) = await PumpAsync(graph, factory, ApiKind.BedrockConverse, new ScriptedReader(stream, [stream.Length]));

            Assert.Equal(PumpResult.UpstreamEnded, result);
            Assert.Equal(stream, client);
            Assert.Equal(TerminalKind.Failed, exchange.Terminal);

            graph.Shutdown();
            await graph.Stopped.WaitAsync(TimeSpan.FromSeconds(10));
        }, _materializer);
    }

    private static Task<(PumpResult Result, ProxyExchange Exchange, byte[] Client)> PumpAsync(ConnectionGraph graph, ProxyStreamFactory factory, ApiKind api, PipeReader upstream) =>
        GraphPumps.PumpAsync(graph, factory, Exchanges.Create(api, "{}", model: "bedrock/anthropic.claude-3-5-haiku-20241022-v1:0", streaming: true), upstream, FrameKind.EventStreamMessage);
}
