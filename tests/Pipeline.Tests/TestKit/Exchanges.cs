using System.Buffers;
using System.Text;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Tests.TestKit;

/// <summary>Exchanges and runs for tests, with a router over one provider of each kind.</summary>
public static class Exchanges
{
    public static readonly ModelRouter Router = new(new RoutingOptions
    {
        Providers =
        {
            new ProviderOptions { Name = "openai", Kind = ProviderKind.OpenAI, BaseUrl = "http://127.0.0.1:1/v1", ApiKey = "k" },
            new ProviderOptions { Name = "anthropic", Kind = ProviderKind.Anthropic, BaseUrl = "http://127.0.0.1:1", ApiKey = "k" },
            new ProviderOptions { Name = "compat", Kind = ProviderKind.OpenAICompatible, BaseUrl = "http://127.0.0.1:1", AcceptsStreamOptions = false },
            new ProviderOptions { Name = "bedrock", Kind = ProviderKind.Bedrock, BaseUrl = "http://127.0.0.1:1", Region = "us-east-1", ApiKey = "k" },
        },
    });

    public static ProxyExchange Create(ApiKind api, string body, string model = "openai/gpt-4o", bool streaming = false)
    {
        Assert.True(Router.TryResolve(model, out ProviderRoute route, out string error), error);
        return new ProxyExchange("req_test", api, route, Encoding.UTF8.GetBytes(body), streaming, DateTimeOffset.UnixEpoch);
    }

    /// <summary>Runs every SSE event of <paramref name="stream"/> through a default factory's stages; returns what the client would get.</summary>
    public static (ProxyExchange Exchange, string ClientBytes) RunSse(ApiKind api, string stream, string model = "openai/gpt-4o", string request = "{}", ProxyStreamFactory? factory = null)
    {
        factory ??= new ProxyStreamBuilder().Build();
        ProxyExchange exchange = Create(api, request, model, streaming: true);
        ProxyRun run = factory.CreateRun(exchange);
        run.ApplyRequestStages();
        var client = new StringBuilder();
        foreach (DecodedFrame frame in Frames(stream))
        {
            ResponseFrame current = frame.Frame;
            if (run.ProcessFrame(ref current))
            {
                client.Append(Encoding.UTF8.GetString(current.Raw.ToArray()));
            }
        }

        run.Complete();
        return (exchange, client.ToString());
    }

    /// <summary>Runs a JSON body through the stages in chunks of <paramref name="chunkSize"/> bytes.</summary>
    public static ProxyExchange RunBody(ApiKind api, string body, int chunkSize, string model = "openai/gpt-4o")
    {
        ProxyExchange exchange = Create(api, "{}", model);
        ProxyRun run = new ProxyStreamBuilder().Build().CreateRun(exchange);
        byte[] bytes = Encoding.UTF8.GetBytes(body);
        for (int offset = 0; offset < bytes.Length; offset += chunkSize)
        {
            var chunk = new ReadOnlySequence<byte>(bytes, offset, Math.Min(chunkSize, bytes.Length - offset));
            var frame = new ResponseFrame(FrameKind.BodyChunk, chunk, default, chunk, true);
            Assert.True(run.ProcessFrame(ref frame));
        }

        run.Complete();
        return exchange;
    }

    private static IEnumerable<DecodedFrame> Frames(string stream)
    {
        var decoder = new AkkaProxy.Pipeline.Framing.SseFrameDecoder(1 << 20);
        var buffer = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(stream));
        while (decoder.TryRead(ref buffer, isFinalBlock: true, out ResponseFrame frame) == AkkaProxy.Pipeline.Framing.DecodeStatus.Frame)
        {
            yield return new DecodedFrame(frame);
        }
    }

    private sealed record DecodedFrame(ResponseFrame Frame);
}
