using System.Text;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.TestKit;
using AkkaProxy.Pipeline.Rewrite;
using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Streams;
using AkkaProxy.Pipeline.Tests.TestKit;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Tests.Streams;

/// <summary>The request side of a connection's graph: the request stages and flows run in it, in order, exchange after exchange.</summary>
public sealed class ConnectionGraphRequestSideSpecs : Akka.TestKit.Xunit2.TestKit
{
    private readonly IMaterializer _materializer;

    public ConnectionGraphRequestSideSpecs() : base("akka.loglevel = WARNING") => _materializer = Sys.Materializer();

    [Fact]
    public async Task TheModelRewriteAndIncludeUsage_RunOnTheGraph_ByteForByteElsewhere()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            ProxyStreamFactory factory = new ProxyStreamBuilder().Build();
            var graph = new ConnectionGraph(factory, _materializer);
            for (int i = 0; i < 3; i++)
            {
                ProxyExchange exchange = Exchanges.Create(ApiKind.ChatCompletions, """{"model":"openai/gpt-4o", "stream":true,"messages":[]}""", streaming: true);
                exchange.KnowRequestBody(RequestBodyReader.Read(exchange.RequestBody.ToArray()));
                await graph.PrepareAsync(factory.CreateRun(exchange)).WaitAsync(TimeSpan.FromSeconds(10));

                // The prefix is gone, the client's spacing is kept, and usage is asked for.
                string sent = Encoding.UTF8.GetString(exchange.RequestBody.Span);
                Assert.Equal("""{"stream_options":{"include_usage":true},"model":"gpt-4o", "stream":true,"messages":[]}""", sent);
            }

            graph.Shutdown();
            await graph.Stopped.WaitAsync(TimeSpan.FromSeconds(10));
        }, _materializer);
    }

    [Fact]
    public async Task RequestHooksAndFlows_RunInTheOrderAdded_AfterTheBuiltIns()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var seen = new List<string>();
            ProxyStreamFactory factory = new ProxyStreamBuilder()
                .MapRequest(exchange => seen.Add("first:" + ModelOf(exchange)))
                .UseRequestFlow(Flow.Create<ProxyExchange>().Select(exchange =>
                {
                    seen.Add("flow");
                    exchange.Items["tag"] = "from-flow";
                    return exchange;
                }))
                .MapRequest(exchange => seen.Add("last:" + exchange.Items["tag"]))
                .Build();
            var graph = new ConnectionGraph(factory, _materializer);
            ProxyExchange exchange = Exchanges.Create(ApiKind.Responses, """{"model":"openai/gpt-4o","input":"hi"}""");

            await graph.PrepareAsync(factory.CreateRun(exchange)).WaitAsync(TimeSpan.FromSeconds(10));

            // The model rewrite (outermost) ran before the first custom hook; then the flow, then the last hook.
            Assert.Equal(["first:gpt-4o", "flow", "last:from-flow"], seen);
            graph.Shutdown();
            await graph.Stopped.WaitAsync(TimeSpan.FromSeconds(10));
        }, _materializer);
    }

    [Fact]
    public async Task AHookThatThrows_RefusesThatRequest_AndTheGraphServesTheNext()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            ProxyStreamFactory factory = new ProxyStreamBuilder()
                .MapRequest(exchange =>
                {
                    if (exchange.Items.ContainsKey("bad"))
                    {
                        throw new RequestBodyException("no such thing");
                    }
                })
                .Build();
            var graph = new ConnectionGraph(factory, _materializer);
            ProxyExchange bad = Exchanges.Create(ApiKind.Responses, """{"model":"openai/gpt-4o"}""");
            bad.Items["bad"] = true;

            RequestBodyException refused = await Assert.ThrowsAsync<RequestBodyException>(() => graph.PrepareAsync(factory.CreateRun(bad)).WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Equal("no such thing", refused.Message);

            ProxyExchange good = Exchanges.Create(ApiKind.Responses, """{"model":"openai/gpt-4o"}""");
            await graph.PrepareAsync(factory.CreateRun(good)).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.True(graph.IsRunning);
            Assert.Equal("""{"model":"gpt-4o"}""", Encoding.UTF8.GetString(good.RequestBody.Span));
            graph.Shutdown();
            await graph.Stopped.WaitAsync(TimeSpan.FromSeconds(10));
        }, _materializer);
    }

    [Fact]
    public async Task ARequestFlowThatDropsARequest_FailsThatRequest_WithWhatToDo()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            ProxyStreamFactory factory = new ProxyStreamBuilder()
                .UseRequestFlow(Flow.Create<ProxyExchange>().Where(exchange => !exchange.Items.ContainsKey("drop")), "dropper")
                .Build();
            var graph = new ConnectionGraph(factory, _materializer);
            ProxyExchange dropped = Exchanges.Create(ApiKind.Responses, """{"model":"openai/gpt-4o"}""");
            dropped.Items["drop"] = true;

            InvalidOperationException failure = await Assert.ThrowsAsync<InvalidOperationException>(() => graph.PrepareAsync(factory.CreateRun(dropped)).WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Contains("one out per one in", failure.Message, StringComparison.Ordinal);

            ProxyExchange kept = Exchanges.Create(ApiKind.Responses, """{"model":"openai/gpt-4o"}""");
            await graph.PrepareAsync(factory.CreateRun(kept)).WaitAsync(TimeSpan.FromSeconds(10));
            graph.Shutdown();
            await graph.Stopped.WaitAsync(TimeSpan.FromSeconds(10));
        }, _materializer);
    }

    [Fact]
    public async Task ARequestFlowThatThrows_StopsTheGraph_BothSides()
    {
        ProxyStreamFactory factory = new ProxyStreamBuilder()
            .UseRequestFlow(Flow.Create<ProxyExchange>().Select(new Func<ProxyExchange, ProxyExchange>(_ => throw new InvalidOperationException("flow bug"))))
            .Build();
        var graph = new ConnectionGraph(factory, _materializer);
        ProxyExchange exchange = Exchanges.Create(ApiKind.Responses, """{"model":"openai/gpt-4o"}""");

        await Assert.ThrowsAnyAsync<Exception>(() => graph.PrepareAsync(factory.CreateRun(exchange)).WaitAsync(TimeSpan.FromSeconds(10)));
        await Assert.ThrowsAnyAsync<Exception>(() => graph.Stopped.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.False(graph.IsRunning); // the response side stopped with it: the connection takes no more exchanges
    }

    private static string ModelOf(ProxyExchange exchange) =>
        RequestBodyReader.Read(exchange.RequestBody.ToArray()).Model ?? "";
}
