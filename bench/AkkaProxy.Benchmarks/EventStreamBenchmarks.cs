using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using AkkaProxy.Pipeline;
using AkkaProxy.Pipeline.Framing;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Streams;
using AkkaProxy.Pipeline.Usage;
using BenchmarkDotNet.Attributes;

namespace AkkaProxy.Benchmarks;

/// <summary>
/// Bedrock's binary event streams (docs/protocol-notes.md §H) through the built-in path, as
/// <see cref="SseStreamBenchmarks"/> does for SSE:
/// <list type="bullet">
/// <item><c>DecodeTap_Reused</c>: the event stream decoder (both CRCs checked) and the default stages on one run, kept across operations: the cost per stream once warm, which must allocate nothing (the InvokeModel chunks' base64 decoded into a pooled buffer).</item>
/// <item><c>DecodeTap_NewRun</c>: the same with a new run and decoder per stream.</item>
/// <item><c>Pump_Buffer</c>: the whole stream through the long-lived connection graph into a discarding pipe.</item>
/// </list>
/// ConverseStream: messageStart, <see cref="Deltas"/> contentBlockDelta, contentBlockStop, messageStop,
/// metadata. InvokeModelWithResponseStream: Claude's own events in base64 chunks, Bedrock's
/// invocationMetrics on the last.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 8)]
[IterationTime(250)]
public class EventStreamBenchmarks
{
    private const int Input = 1200, Output = 200;

    private ProxyStreamFactory _factory = null!;
    private ProviderRoute _route = null!;
    private byte[] _stream = null!;
    private int _messages;
    private ReadOnlySequence<byte> _sequence;
    private ProxyRun _reusedRun = null!;
    private AwsEventStreamDecoder _reusedDecoder = null!;
    private readonly DiscardPipeWriter _client = new();

    [Params(ApiKind.BedrockConverse, ApiKind.BedrockInvoke)]
    public ApiKind Api { get; set; }

    [Params(12, 192)]
    public int Deltas { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _factory = new ProxyStreamBuilder().Build();
        var router = new ModelRouter(new RoutingOptions
        {
            Providers = { new ProviderOptions { Name = "bedrock", Kind = ProviderKind.Bedrock, BaseUrl = "http://127.0.0.1:1", Region = "us-east-1", ApiKey = "k" } },
        });
        if (!router.TryResolve("bedrock/anthropic.claude-3-5-haiku-20241022-v1:0", out ProviderRoute route, out string error))
        {
            throw new InvalidOperationException(error);
        }

        _route = route;
        List<byte[]> messages = Api == ApiKind.BedrockConverse ? Converse(Deltas) : Invoke(Deltas);
        _messages = messages.Count;
        _stream = [.. messages.SelectMany(m => m)];
        _sequence = new ReadOnlySequence<byte>(_stream);
        _reusedRun = _factory.CreateRun(NewExchange());
        _reusedDecoder = new AwsEventStreamDecoder(_factory.Options.MaxEventBytes);

        Check(DecodeTap_NewRun(), "DecodeTap_NewRun", out _);
        Check(DecodeTap_Reused(), "DecodeTap_Reused", out _);
        ProxyExchange pumped = NewExchange();
        ProxyRun run = _factory.CreateRun(pumped);
        PumpResult result = BenchGraphs.Pump(run, PipeReader.Create(_sequence), _client, FrameKind.EventStreamMessage);
        run.Complete();
        if (result != PumpResult.UpstreamEnded || pumped.Usage.InputTokens != Input || pumped.Terminal != TerminalKind.Completed)
        {
            throw new InvalidOperationException($"Pump_Buffer ({Api}): {result}, terminal {pumped.Terminal}, usage {pumped.Usage}.");
        }
    }

    [Benchmark]
    public long DecodeTap_Reused() => DecodeAndTap(_reusedRun, _reusedDecoder, _sequence);

    [Benchmark]
    public long DecodeTap_NewRun() => DecodeAndTap(_factory.CreateRun(NewExchange()), new AwsEventStreamDecoder(_factory.Options.MaxEventBytes), _sequence);

    [Benchmark]
    public long Pump_Buffer()
    {
        ProxyRun run = _factory.CreateRun(NewExchange());
        PipeReader upstream = PipeReader.Create(_sequence);
        PumpResult result = BenchGraphs.Pump(run, upstream, _client, FrameKind.EventStreamMessage);
        run.Complete();
        upstream.Complete();
        return result == PumpResult.UpstreamEnded ? _messages : -1;
    }

    private ProxyExchange NewExchange() => new("req_bench", Api, _route, "{}"u8.ToArray(), isStreaming: true, DateTimeOffset.UnixEpoch);

    private static long DecodeAndTap(ProxyRun run, AwsEventStreamDecoder decoder, ReadOnlySequence<byte> buffer)
    {
        long frames = 0;
        while (decoder.TryRead(ref buffer, isFinalBlock: true, out EventStreamMessage message) == DecodeStatus.Frame)
        {
            var frame = new ResponseFrame(FrameKind.EventStreamMessage, message.Raw, message.EventType, message.Payload, hasData: true, isException: !message.IsEvent);
            if (run.ProcessFrame(ref frame))
            {
                frames++;
            }
        }

        return frames;
    }

    private void Check(long frames, string path, out ProxyExchange exchange)
    {
        exchange = path == "DecodeTap_Reused" ? _reusedRun.Exchange : null!;
        if (frames != _messages)
        {
            throw new InvalidOperationException($"{path} ({Api}): {frames} of {_messages} messages.");
        }

        if (exchange is not null && (exchange.Usage.InputTokens != Input || exchange.Usage.OutputTokens != Output || exchange.Terminal != TerminalKind.Completed))
        {
            throw new InvalidOperationException($"{path} ({Api}): terminal {exchange.Terminal}, usage {exchange.Usage}.");
        }
    }

    private static List<byte[]> Converse(int deltas)
    {
        var messages = new List<byte[]> { Event("messageStart", """{"p":"abcdefghijk","role":"assistant"}""") };
        for (int i = 0; i < deltas; i++)
        {
            messages.Add(Event("contentBlockDelta", $$"""{"contentBlockIndex":0,"delta":{"text":" token{{i}}"},"p":"abcdefgh"}"""));
        }

        messages.Add(Event("contentBlockStop", """{"contentBlockIndex":0,"p":"abcdefgh"}"""));
        messages.Add(Event("messageStop", """{"p":"abcdefghijklm","stopReason":"end_turn"}"""));
        messages.Add(Event("metadata", $$$"""{"metrics":{"latencyMs":412},"p":"ab","usage":{"inputTokens":{{{Input}}},"outputTokens":{{{Output}}},"totalTokens":{{{Input + Output}}}}}"""));
        return messages;
    }

    private static List<byte[]> Invoke(int deltas)
    {
        var messages = new List<byte[]> { Chunk($$$"""{"type":"message_start","message":{"id":"msg_1","model":"claude","usage":{"input_tokens":{{{Input}}},"output_tokens":1}}""" + "}") };
        for (int i = 0; i < deltas; i++)
        {
            messages.Add(Chunk($$$"""{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" token{{{i}}}"}}"""));
        }

        messages.Add(Chunk($$$"""{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":{{{Output}}}}}"""));
        messages.Add(Chunk($$$"""{"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":{{{Input}}},"outputTokenCount":{{{Output}}},"invocationLatency":500,"firstByteLatency":120}}"""));
        return messages;
    }

    private static byte[] Event(string type, string json) => AwsEventStreamEncoder.Encode(
        [new(":event-type", type), new(":content-type", "application/json"), new(":message-type", "event")], Encoding.UTF8.GetBytes(json));

    private static byte[] Chunk(string modelJson) =>
        Event("chunk", $$"""{"bytes":"{{Convert.ToBase64String(Encoding.UTF8.GetBytes(modelJson))}}","p":"abcdefghijklmnop"}""");
}
