using System.IO.Pipelines;
using System.Text;
using Akka;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.TestKit;
using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Streams;
using AkkaProxy.Pipeline.Tests.TestKit;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Tests.Streams;

/// <summary>A connection's graph, exchange after exchange; every spec ends with all its stages stopped.</summary>
public sealed class ConnectionGraphSpecs : Akka.TestKit.Xunit2.TestKit
{
    private const string Responses =
        "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_1\",\"model\":\"gpt-4o\",\"status\":\"in_progress\",\"usage\":null}}\n\n"
        + "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":1,\"delta\":\"Hi\"}\n\n"
        + ": keep-alive\n\n"
        + "event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":2,\"response\":{\"id\":\"resp_1\",\"model\":\"gpt-4o\",\"status\":\"completed\",\"usage\":{\"input_tokens\":11,\"output_tokens\":7}}}\n\n";

    private const string ChatJson = """{"id":"c1","object":"chat.completion","model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2}}""";

    private readonly IMaterializer _materializer;

    public ConnectionGraphSpecs() : base("akka.loglevel = WARNING") => _materializer = Sys.Materializer();

    [Fact]
    public async Task OneGraph_RelaysExchangeAfterExchange_ByteExact_WithTheUpstreamSplitAtEveryByte()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            ProxyStreamFactory factory = new ProxyStreamBuilder().Build();
            var graph = new ConnectionGraph(factory, _materializer);
            byte[] stream = Encoding.UTF8.GetBytes(Responses);

            // One exchange per split point: the first read ends at byte i, the second at the end.
            for (int split = 1; split < stream.Length; split++)
            {
                (PumpResult result, ProxyExchange exchange, byte[] client) = await PumpAsync(graph, factory, ApiKind.Responses, new ScriptedReader(stream, [split, stream.Length]), FrameKind.SseEvent);

                Assert.Equal(PumpResult.UpstreamEnded, result);
                Assert.True(stream.AsSpan().SequenceEqual(client), $"split at {split}: the client's bytes differ");
                Assert.Equal(TerminalKind.Completed, exchange.Terminal);
                Assert.Equal(11, exchange.Usage.InputTokens);
            }

            // And a non-streaming body one byte per read, on the same graph.
            byte[] body = Encoding.UTF8.GetBytes(ChatJson);
            (PumpResult bodyResult, ProxyExchange chat, byte[] bodyClient) = await PumpAsync(graph, factory, ApiKind.ChatCompletions, new ScriptedReader(body, [.. Enumerable.Range(1, body.Length)]), FrameKind.BodyChunk);
            Assert.Equal(PumpResult.UpstreamEnded, bodyResult);
            Assert.Equal(body, bodyClient);
            Assert.Equal(5, chat.Usage.InputTokens);

            Assert.True(graph.IsRunning);
            graph.Shutdown();
            await graph.Stopped.WaitAsync(TimeSpan.FromSeconds(10));
        }, _materializer);
    }

    [Fact]
    public async Task AnAkkaFlowStage_SeesEveryFrameInOrder_MayDropOrReplaceFrames_AndRunsOutsideTheUsageTap()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var seen = new List<string>();
            Flow<ProxyFrame, ProxyFrame, NotUsed> flow = Flow.Create<ProxyFrame>()
                .Select(frame =>
                {
                    seen.Add(frame.Kind == ProxyFrameKind.Frame ? Encoding.UTF8.GetString(System.Buffers.BuffersExtensions.ToArray(frame.Frame.Raw)).Split('\n')[0] : frame.Kind.ToString());
                    if (frame.Kind == ProxyFrameKind.Frame && frame.Frame.HasData)
                    {
                        frame.Frame = frame.Frame.WithRaw(Encoding.UTF8.GetBytes("data: replaced\n\n"));
                    }

                    return frame;
                })
                .Where(frame => frame.Kind != ProxyFrameKind.Frame || frame.Frame.HasData); // drops the keep-alive comment
            ProxyStreamFactory factory = new ProxyStreamBuilder().UseFlow(flow, "replace").Build();
            var graph = new ConnectionGraph(factory, _materializer);
            byte[] stream = Encoding.UTF8.GetBytes(Responses);

            (PumpResult result, ProxyExchange exchange, byte[] client) = await PumpAsync(graph, factory, ApiKind.Responses, new ScriptedReader(stream, [100, stream.Length]), FrameKind.SseEvent);

            Assert.Equal(PumpResult.UpstreamEnded, result);
            Assert.Equal(string.Concat(Enumerable.Repeat("data: replaced\n\n", 3)), Encoding.UTF8.GetString(client));
            // The first read (100 bytes) holds no whole event, so it produced nothing, not even a flush.
            Assert.Equal(["event: response.created", "event: response.output_text.delta", ": keep-alive", "event: response.completed", "Flush", "End"], seen);
            Assert.Equal(11, exchange.Usage.InputTokens); // the tap, innermost, read the upstream's bytes
            Assert.True(factory.MayChangeResponseBodies);

            graph.Shutdown();
            await graph.Stopped.WaitAsync(TimeSpan.FromSeconds(10));
        }, _materializer);
    }

    [Fact]
    public async Task AFlowThatAwaitsOnAnotherThread_OneElementAtATime_StillRelaysByteExact()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            // SelectAsync(1) is accepted (UserFlowCheck): each frame crosses a thread and comes back before
            // the decoder is pulled for the next, so the reused element is never rewritten under the flow.
            Flow<ProxyFrame, ProxyFrame, NotUsed> hop = Flow.Create<ProxyFrame>().SelectAsync(1, async frame =>
            {
                await Task.Yield();
                return frame;
            });
            ProxyStreamFactory factory = new ProxyStreamBuilder().UseFlow(hop, "hop").Build();
            var graph = new ConnectionGraph(factory, _materializer);
            byte[] stream = Encoding.UTF8.GetBytes(Responses);

            for (int size = 1; size <= 64; size *= 4)
            {
                int[] reads = [.. Enumerable.Range(1, (stream.Length + size - 1) / size).Select(i => Math.Min(i * size, stream.Length))];
                (PumpResult result, _, byte[] client) = await PumpAsync(graph, factory, ApiKind.Responses, new ScriptedReader(stream, reads), FrameKind.SseEvent);
                Assert.Equal(PumpResult.UpstreamEnded, result);
                Assert.Equal(Responses, Encoding.UTF8.GetString(client));
            }

            graph.Shutdown();
            await graph.Stopped.WaitAsync(TimeSpan.FromSeconds(10));
        }, _materializer);
    }

    [Fact]
    public async Task AClientThatGoesAway_EndsItsExchange_NoMoreIsRead_AndTheGraphServesTheNext()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            ProxyStreamFactory factory = new ProxyStreamBuilder().Build();
            var graph = new ConnectionGraph(factory, _materializer);
            byte[] stream = Encoding.UTF8.GetBytes(Responses);
            var gone = new Pipe();
            await gone.Reader.CompleteAsync(); // the client went away: its next flush reports completion
            var upstream = new ScriptedReader(stream, [.. Enumerable.Range(1, stream.Length)]);

            ProxyRun run = factory.CreateRun(Exchanges.Create(ApiKind.Responses, "{}", streaming: true));
            PumpResult result = await graph.PumpAsync(run, upstream, gone.Writer, FrameKind.SseEvent, null, TimeProvider.System, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

            Assert.Equal(PumpResult.ClientGone, result);
            Assert.True(upstream.Reads < stream.Length / 2, $"the graph kept reading for a client that was gone ({upstream.Reads} reads)");
            (PumpResult next, _, byte[] client) = await PumpAsync(graph, factory, ApiKind.Responses, new ScriptedReader(stream, [stream.Length]), FrameKind.SseEvent);
            Assert.Equal(PumpResult.UpstreamEnded, next);
            Assert.Equal(stream, client);

            graph.Shutdown();
            await graph.Stopped.WaitAsync(TimeSpan.FromSeconds(10));
        }, _materializer);
    }

    [Fact]
    public async Task AnUpstreamThatFails_FailsItsExchange_NotTheGraph()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            ProxyStreamFactory factory = new ProxyStreamBuilder().Build();
            var graph = new ConnectionGraph(factory, _materializer);
            byte[] stream = Encoding.UTF8.GetBytes(Responses);
            var client = new Pipe();

            ProxyRun run = factory.CreateRun(Exchanges.Create(ApiKind.Responses, "{}", streaming: true));
            Task<PumpResult> pump = graph.PumpAsync(run, new ScriptedReader(stream, [40], new IOException("reset by peer")), client.Writer, FrameKind.SseEvent, null, TimeProvider.System, CancellationToken.None);

            IOException failure = await Assert.ThrowsAsync<IOException>(() => pump.WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Equal("reset by peer", failure.Message);
            Assert.True(graph.IsRunning);
            (PumpResult next, _, byte[] bytes) = await PumpAsync(graph, factory, ApiKind.Responses, new ScriptedReader(stream, [stream.Length]), FrameKind.SseEvent);
            Assert.Equal(PumpResult.UpstreamEnded, next);
            Assert.Equal(stream, bytes);

            graph.Shutdown();
            await graph.Stopped.WaitAsync(TimeSpan.FromSeconds(10));
        }, _materializer);
    }

    [Fact]
    public async Task AnEventOverTheLimit_EndsItsExchange_AndTheGraphGoesOn()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var builder = new ProxyStreamBuilder();
            builder.Options.MaxEventBytes = 1024;
            ProxyStreamFactory factory = builder.Build();
            var graph = new ConnectionGraph(factory, _materializer);
            byte[] oversize = Encoding.UTF8.GetBytes("data: {\"pad\":\"" + new string('x', 4096) + "\"}\n\n");

            (PumpResult result, _, byte[] client) = await PumpAsync(graph, factory, ApiKind.Responses, new ScriptedReader(oversize, [512, 2048, oversize.Length]), FrameKind.SseEvent);

            Assert.Equal(PumpResult.FrameTooLarge, result);
            Assert.Empty(client);
            byte[] stream = Encoding.UTF8.GetBytes(Responses);
            Assert.Equal(PumpResult.UpstreamEnded, (await PumpAsync(graph, factory, ApiKind.Responses, new ScriptedReader(stream, [stream.Length]), FrameKind.SseEvent)).Result);

            graph.Shutdown();
            await graph.Stopped.WaitAsync(TimeSpan.FromSeconds(10));
        }, _materializer);
    }

    [Fact]
    public async Task AStageThatThrows_StopsTheGraph_FailsItsExchange_AndTheGraphTakesNoOther()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            ProxyStreamFactory factory = new ProxyStreamBuilder()
                .MapResponseFrames((ProxyExchange _, ref ResponseFrame _) => throw new InvalidOperationException("stage bug"))
                .Build();
            var graph = new ConnectionGraph(factory, _materializer);
            byte[] stream = Encoding.UTF8.GetBytes(Responses);

            ProxyRun run = factory.CreateRun(Exchanges.Create(ApiKind.Responses, "{}", streaming: true));
            Task<PumpResult> pump = graph.PumpAsync(run, new ScriptedReader(stream, [stream.Length]), new Pipe().Writer, FrameKind.SseEvent, null, TimeProvider.System, CancellationToken.None);

            InvalidOperationException failure = await Assert.ThrowsAsync<InvalidOperationException>(() => pump.WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Equal("stage bug", failure.Message);
            await Assert.ThrowsAsync<InvalidOperationException>(() => graph.Stopped.WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.False(graph.IsRunning);
            ProxyRun next = factory.CreateRun(Exchanges.Create(ApiKind.Responses, "{}", streaming: true));
            Exception? refused = Record.Exception(() => { _ = graph.PumpAsync(next, new ScriptedReader(stream, [stream.Length]), new Pipe().Writer, FrameKind.SseEvent, null, TimeProvider.System, CancellationToken.None); });
            Assert.IsType<InvalidOperationException>(refused);
        }, _materializer);
    }

    [Fact]
    public async Task ShuttingTheGraphDown_WhileAnExchangeWaitsForTheUpstream_FailsThatExchange()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            ProxyStreamFactory factory = new ProxyStreamBuilder().Build();
            var graph = new ConnectionGraph(factory, _materializer);
            var silent = new Pipe(); // an upstream that has sent nothing yet

            ProxyRun run = factory.CreateRun(Exchanges.Create(ApiKind.Responses, "{}", streaming: true));
            Task<PumpResult> pump = graph.PumpAsync(run, silent.Reader, new Pipe().Writer, FrameKind.SseEvent, null, TimeProvider.System, CancellationToken.None);
            graph.Shutdown();

            await Assert.ThrowsAsync<InvalidOperationException>(() => pump.WaitAsync(TimeSpan.FromSeconds(10)));
            await graph.Stopped.WaitAsync(TimeSpan.FromSeconds(10));
            await silent.Reader.CompleteAsync();
        }, _materializer);
    }

    private static Task<(PumpResult Result, ProxyExchange Exchange, byte[] Client)> PumpAsync(ConnectionGraph graph, ProxyStreamFactory factory, ApiKind api, PipeReader upstream, FrameKind framing) =>
        GraphPumps.PumpAsync(graph, factory, Exchanges.Create(api, "{}", streaming: framing == FrameKind.SseEvent), upstream, framing);
}
