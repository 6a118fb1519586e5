using System.Text;
using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Tests.TestKit;
using AkkaProxy.Pipeline.Usage;
using Microsoft.Extensions.Configuration;

namespace AkkaProxy.Pipeline.Tests.Stages;

/// <summary>The three ways to add a stage, and the documented order: first added is outermost.</summary>
public sealed class StageOrderTests
{
    [Fact]
    public void FirstAddedIsOutermost_RequestsInOrder_ResponsesInReverse()
    {
        var log = new List<string>();
        ProxyStreamFactory factory = new ProxyStreamBuilder()
            .Use(new RecordingStage("class", log))
            .MapRequest(_ => log.Add("lambda:request"))
            .MapResponseFrames((ProxyExchange _, ref ResponseFrame _) =>
            {
                log.Add("lambda:frame");
                return FrameDecision.Forward;
            })
            .AddStageFactory(new RecordingFactory(log))
            .UseConfiguredStages(Configured(("0:factory", "recording"), ("0:label", "configured")))
            .Build();

        Exchanges.RunSse(ApiKind.Responses, "data: {\"type\":\"x\"}\n\n", factory: factory);

        Assert.Equal(
            ["class:request", "lambda:request", "configured:request", "configured:frame", "lambda:frame", "class:frame", "configured:completed", "class:completed"],
            log);
        Assert.Equal(["model-rewrite", "include-usage", "class", "request-lambda", "frame-lambda", "configured", "usage-tap"], factory.Stages.Select(s => s.Name));
    }

    [Fact]
    public void TheUsageTapIsInnermost_SoItSeesFramesACustomStageDrops()
    {
        ProxyStreamFactory factory = new ProxyStreamBuilder()
            .MapResponseFrames((ProxyExchange _, ref ResponseFrame _) => FrameDecision.Drop)
            .Build();
        string stream = "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"usage\":{\"input_tokens\":5,\"output_tokens\":6}}}\n\n";

        (ProxyExchange exchange, string client) = Exchanges.RunSse(ApiKind.Responses, stream, factory: factory);

        Assert.Equal("", client);
        Assert.Equal(UsageStatus.Reported, exchange.Usage.Status);
        Assert.Equal(11, exchange.Usage.TotalTokens);
    }

    [Fact]
    public void AStageCanReplaceAFrame()
    {
        ProxyStreamFactory factory = new ProxyStreamBuilder()
            .MapResponseFrames((ProxyExchange _, ref ResponseFrame frame) =>
            {
                frame = frame.WithRaw(Encoding.UTF8.GetBytes(": redacted\n\n"));
                return FrameDecision.Forward;
            })
            .Build();

        (_, string client) = Exchanges.RunSse(ApiKind.Responses, "data: {\"secret\":1}\n\n", factory: factory);

        Assert.Equal(": redacted\n\n", client);
    }

    [Fact]
    public void UnknownConfiguredFactory_FailsAtBuildNamingTheRegisteredOnes()
    {
        ProxyStreamBuilder builder = new ProxyStreamBuilder()
            .AddStageFactory(new RecordingFactory([]))
            .UseConfiguredStages(Configured(("0:factory", "nope")));

        ArgumentException error = Assert.Throws<ArgumentException>(builder.Build);

        Assert.Contains("'nope'", error.Message, StringComparison.Ordinal);
        Assert.Contains("recording", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidOptions_FailAtBuildNamingTheSetting()
    {
        var builder = new ProxyStreamBuilder();
        builder.Options.MaxEventBytes = 10;

        ArgumentOutOfRangeException error = Assert.Throws<ArgumentOutOfRangeException>(builder.Build);

        Assert.Contains(nameof(ProxyStreamOptions.MaxEventBytes), error.Message, StringComparison.Ordinal);
    }

    private static IConfiguration Configured(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    private sealed class RecordingStage(string label, List<string> log) : ProxyStage
    {
        public override string Name => label;

        public override void OnRequest(ProxyExchange exchange) => log.Add($"{label}:request");

        public override FrameDecision OnResponseFrame(ProxyExchange exchange, ref ResponseFrame frame)
        {
            log.Add($"{label}:frame");
            return FrameDecision.Forward;
        }

        public override void OnCompleted(ProxyExchange exchange) => log.Add($"{label}:completed");
    }

    private sealed class RecordingFactory(List<string> log) : IProxyStageFactory
    {
        public string Name => "recording";

        public ProxyStage Create(IConfiguration section) =>
            new RecordingStage(section["label"] ?? throw new ArgumentException("label is required"), log);
    }
}
