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
/// The SSE frame decoder plus the usage tap, over a realistic Responses or Chat Completions stream,
/// at two stream lengths so the per-event allocation slope can be read off.
/// </summary>
/// <remarks>
/// <para>One operation = one whole upstream stream. The factory is built once (as the relay does at
/// start-up); everything a relay creates per stream is created inside the operation.</para>
/// <list type="bullet">
/// <item><c>Pump_Buffer</c>: new exchange + run through a long-lived connection graph (as on a keep-alive connection), the upstream a
/// <see cref="PipeReader"/> over the whole stream in one segment, the client a discarding writer
/// (<see cref="DiscardPipeWriter"/>, shared: the client's writer is not the relay's cost), then
/// <c>Complete</c>.</item>
/// <item><c>Pump_Chunked</c>: the same, but the upstream is a stream-backed <see cref="PipeReader"/>
/// (16 KiB buffer, as <c>HttpRelay</c> creates it) fed 1–4 KiB reads, so events straddle segments.</item>
/// <item><c>Pump_NewGraph</c>: as <c>Pump_Buffer</c> on a graph materialized for the one exchange and
/// stopped after it (a client without keep-alive).</item>
/// <item><c>DecodeTap_NewRun</c>: no pipes: new exchange, run and decoder, then
/// <c>SseFrameDecoder.TryRead</c> + <c>ProxyRun.ProcessFrame</c> in a loop.</item>
/// <item><c>DecodeTap_Reused</c>: the same loop on one run and decoder kept across operations:
/// per-event cost only, no per-stream setup. For Chat the replayed stream leaves out its final
/// <c>data: [DONE]</c> (the set-up checks the whole stream on a fresh run): once a run has seen
/// <c>[DONE]</c> everything after it is relayed unread, so replaying the whole stream on one run
/// would measure nothing after the first pass.</item>
/// </list>
/// </remarks>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 8)]
[IterationTime(250)]
[Config(typeof(StreamColumnsConfig))]
public class SseStreamBenchmarks
{
    private static readonly byte[] RequestBody = Encoding.UTF8.GetBytes(
        """{"model":"openai/gpt-4o","stream":true,"input":"Explain how the relay counts tokens."}""");

    private ProxyStreamFactory _factory = null!;
    private ProviderRoute _route = null!;
    private SseStream _stream = null!;
    private ReadOnlySequence<byte> _sequence;
    private ReadOnlySequence<byte> _replayed;
    private int[] _chunkSizes = null!;
    private ProxyRun _reusedRun = null!;
    private SseFrameDecoder _reusedDecoder = null!;
    private readonly DiscardPipeWriter _client = new();

    [Params(ApiKind.Responses, ApiKind.ChatCompletions, ApiKind.GeminiGenerateContent)]
    public ApiKind Api { get; set; }

    /// <summary>Text-delta events per stream; Responses adds 8 lifecycle events, Chat 4 chunks.</summary>
    [Params(12, 192)]
    public int Deltas { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _factory = new ProxyStreamBuilder().Build();
        var router = new ModelRouter(new RoutingOptions
        {
            Providers =
            {
                new ProviderOptions { Name = "openai", Kind = ProviderKind.OpenAI, BaseUrl = "http://127.0.0.1:1/v1" },
                new ProviderOptions { Name = "gemini", Kind = ProviderKind.Gemini, BaseUrl = "http://127.0.0.1:1" },
            },
        });
        if (!router.TryResolve(Api == ApiKind.GeminiGenerateContent ? "gemini/gemini-2.5-flash" : "openai/gpt-4o", out ProviderRoute route, out string error))
        {
            throw new InvalidOperationException(error);
        }

        _route = route;
        _stream = StreamShapes.Get(Api, Deltas);
        _sequence = new ReadOnlySequence<byte>(_stream.Bytes);
        _replayed = Api == ApiKind.ChatCompletions ? WithoutDone(_stream.Bytes) : _sequence;
        _chunkSizes = ChunkedStream.RandomSizes(64, 1024, 4096);
        _reusedRun = _factory.CreateRun(NewExchange());
        _reusedDecoder = new SseFrameDecoder(_factory.Options.MaxEventBytes);

        // Sanity: every path sees every frame and extracts the same usage.
        Check(DecodeAndTap(_factory.CreateRun(NewExchange()), new SseFrameDecoder(_factory.Options.MaxEventBytes), _sequence, out ProxyExchange whole), whole, "DecodeTap_Reused (first pass)");
        if (DecodeTap_Reused() != _stream.Frames - (Api == ApiKind.ChatCompletions ? 1 : 0) || _reusedRun.Exchange.Usage.InputTokens != StreamShapes.InputTokens)
        {
            throw new InvalidOperationException("DecodeTap_Reused: the replayed stream lost frames or usage.");
        }
        Check(DecodeAndTap(_factory.CreateRun(NewExchange()), new SseFrameDecoder(_factory.Options.MaxEventBytes), _sequence, out ProxyExchange fresh), fresh, "DecodeTap_NewRun");
        Check(Pump(PipeReader.Create(_sequence), out ProxyExchange buffered), buffered, "Pump_Buffer");
        Check(Pump(ChunkedReader(), out ProxyExchange chunked), chunked, "Pump_Chunked");
    }

    [Benchmark]
    public long Pump_Buffer() => Pump(PipeReader.Create(_sequence), out _);

    [Benchmark]
    public long Pump_Chunked() => Pump(ChunkedReader(), out _);

    /// <summary>As <see cref="Pump_Buffer"/>, on a graph materialized for this one exchange and shut down after it: a client without keep-alive.</summary>
    [Benchmark]
    public long Pump_NewGraph()
    {
        ProxyExchange exchange = NewExchange();
        ProxyRun run = _factory.CreateRun(exchange);
        var graph = new ConnectionGraph(_factory, BenchGraphs.Materializer);
        PipeReader upstream = PipeReader.Create(_sequence);
        PumpResult result = graph.PumpAsync(run, upstream, _client, FrameKind.SseEvent, null, TimeProvider.System, CancellationToken.None).GetAwaiter().GetResult();
        graph.Shutdown();
        graph.Stopped.GetAwaiter().GetResult();
        run.Complete();
        upstream.Complete();
        return result == PumpResult.UpstreamEnded ? _stream.Frames : -1;
    }

    [Benchmark]
    public long DecodeTap_NewRun() =>
        DecodeAndTap(_factory.CreateRun(NewExchange()), new SseFrameDecoder(_factory.Options.MaxEventBytes), _sequence, out _);

    [Benchmark]
    public long DecodeTap_Reused() => DecodeAndTap(_reusedRun, _reusedDecoder, _replayed, out _);

    private static ReadOnlySequence<byte> WithoutDone(byte[] stream)
    {
        ReadOnlySpan<byte> done = "data: [DONE]\n\n"u8;
        if (!stream.AsSpan().EndsWith(done))
        {
            throw new InvalidOperationException("The Chat stream does not end with data: [DONE].");
        }

        return new ReadOnlySequence<byte>(stream, 0, stream.Length - done.Length);
    }

    private ProxyExchange NewExchange() =>
        new("req_bench", Api, _route, RequestBody, isStreaming: true, DateTimeOffset.UnixEpoch);

    private PipeReader ChunkedReader() =>
        PipeReader.Create(new ChunkedStream(_stream.Bytes, _chunkSizes), new StreamPipeReaderOptions(bufferSize: _factory.Options.ReadBufferBytes, leaveOpen: false));

    /// <summary>One stream through the long-lived connection graph (<see cref="BenchGraphs"/>); returns the stream's frame count when it ended normally, a negative value otherwise.</summary>
    private long Pump(PipeReader upstream, out ProxyExchange exchange)
    {
        exchange = NewExchange();
        ProxyRun run = _factory.CreateRun(exchange);
        PumpResult result = BenchGraphs.Pump(run, upstream, _client);
        run.Complete();
        upstream.Complete();
        return result == PumpResult.UpstreamEnded ? _stream.Frames : -(long)result - 1;
    }

    /// <summary>Decoder + stages with no pipe; returns the number of frames forwarded.</summary>
    private static long DecodeAndTap(ProxyRun run, SseFrameDecoder decoder, ReadOnlySequence<byte> buffer, out ProxyExchange exchange)
    {
        exchange = run.Exchange;
        long frames = 0;
        while (decoder.TryRead(ref buffer, isFinalBlock: true, out ResponseFrame frame) == DecodeStatus.Frame)
        {
            if (run.ProcessFrame(ref frame))
            {
                frames++;
            }
        }

        return frames;
    }

    private void Check(long frames, ProxyExchange exchange, string path)
    {
        TokenUsage usage = exchange.Usage;
        long output = Deltas + StreamShapes.ReasoningTokens;
        // Gemini streams end without a terminal event: a candidate's finishReason, then the end, is their completion.
        bool completed = exchange.Terminal == TerminalKind.Completed || (exchange.Terminal == TerminalKind.None && exchange.Accumulator.FinishedImplicitly);
        if (frames != _stream.Frames || !completed || exchange.ResponseModel != StreamShapes.Model
            || exchange.ResponseId is null || usage.Status != UsageStatus.Reported || usage.InputTokens != StreamShapes.InputTokens
            || usage.CachedInputTokens != StreamShapes.CachedTokens || usage.OutputTokens != output
            || usage.ReasoningTokens != StreamShapes.ReasoningTokens)
        {
            throw new InvalidOperationException(
                $"{path} ({Api}, {Deltas} deltas): frames {frames}/{_stream.Frames}, terminal {exchange.Terminal}, model {exchange.ResponseModel}, id {exchange.ResponseId}, usage {usage}.");
        }
    }
}
