using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using AkkaProxy.Pipeline;
using AkkaProxy.Pipeline.Framing;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Streams;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Benchmarks;

/// <summary>
/// <c>--alloc-probe</c>: exact managed bytes allocated per stream (GC.GetAllocatedBytesForCurrentThread,
/// averaged over 50 streams after warm-up) for each path at three stream lengths, including the
/// edge cases BenchmarkDotNet does not run: events split across many small segments, and a Chat
/// stream whose chunks carry no <c>model</c>; then the span hooks of one exchange, with and without a
/// listener (<see cref="TracingProbe"/>). Takes a few seconds; no timing.
/// </summary>
public static class AllocationProbe
{
    private const int Runs = 50;

    public static void Run()
    {
        ProxyStreamFactory factory = new ProxyStreamBuilder().Build();
        var router = new ModelRouter(new RoutingOptions
        {
            Providers =
            {
                new ProviderOptions { Name = "openai", Kind = ProviderKind.OpenAI, BaseUrl = "http://127.0.0.1:1/v1" },
                new ProviderOptions { Name = "gemini", Kind = ProviderKind.Gemini, BaseUrl = "http://127.0.0.1:1" },
            },
        });
        if (!router.TryResolve("openai/gpt-4o", out ProviderRoute openai, out string error) || !router.TryResolve("gemini/gemini-2.5-flash", out ProviderRoute gemini, out error))
        {
            throw new InvalidOperationException(error);
        }

        int[] chunkSizes = ChunkedStream.RandomSizes(64, 1024, 4096);
        Console.WriteLine("| Stream | Path | Deltas | Frames | Bytes | B/stream | slope B/delta vs previous size |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|");
        foreach ((string label, ApiKind api, Func<int, SseStream> shape) in new (string, ApiKind, Func<int, SseStream>)[]
        {
            ("Responses", ApiKind.Responses, n => StreamShapes.Get(ApiKind.Responses, n)),
            ("Chat", ApiKind.ChatCompletions, n => StreamShapes.Get(ApiKind.ChatCompletions, n)),
            ("Chat, no model in chunks", ApiKind.ChatCompletions, n => WithoutModel(StreamShapes.Get(ApiKind.ChatCompletions, n))),
            ("Gemini", ApiKind.GeminiGenerateContent, n => StreamShapes.Get(ApiKind.GeminiGenerateContent, n)),
        })
        {
            ProviderRoute route = api == ApiKind.GeminiGenerateContent ? gemini : openai;
            foreach ((string path, Func<SseStream, bool> body) in new (string, Func<SseStream, bool>)[]
            {
                ("DecodeTap_NewRun, 1 segment", s => DecodeTap(factory, NewExchange(api, route), new ReadOnlySequence<byte>(s.Bytes), s.Frames)),
                ("DecodeTap_NewRun, 61-byte segments", s => DecodeTap(factory, NewExchange(api, route), Segmented(s.Bytes, 61), s.Frames)),
                ("Pump_Buffer (discard client)", s => Pump(factory, NewExchange(api, route), PipeReader.Create(new ReadOnlySequence<byte>(s.Bytes)))),
                ("Pump_Buffer (PipeWriter.Create(Stream.Null) client)", s => PumpStreamNull(factory, NewExchange(api, route), PipeReader.Create(new ReadOnlySequence<byte>(s.Bytes)))),
                ("Pump_Chunked (PipeWriter.Create(Stream.Null) client)", s => PumpStreamNull(factory, NewExchange(api, route), PipeReader.Create(new ChunkedStream(s.Bytes, chunkSizes), new StreamPipeReaderOptions(bufferSize: factory.Options.ReadBufferBytes)))),
                ("Pump_Chunked (discard client)", s => Pump(factory, NewExchange(api, route), PipeReader.Create(new ChunkedStream(s.Bytes, chunkSizes), new StreamPipeReaderOptions(bufferSize: factory.Options.ReadBufferBytes)))),
            })
            {
                double? previous = null;
                int previousDeltas = 0;
                foreach (int deltas in new[] { 12, 192, 1536 })
                {
                    SseStream stream = shape(deltas);
                    double perStream = Measure(() => body(stream));
                    string slope = previous is null ? "-" : ((perStream - previous.Value) / (deltas - previousDeltas)).ToString("F3");
                    Console.WriteLine($"| {label} | {path} | {deltas} | {stream.Frames} | {stream.Bytes.Length} | {perStream:F1} | {slope} |");
                    previous = perStream;
                    previousDeltas = deltas;
                }
            }
        }

        TracingProbe.Run(openai);
    }

    private static double Measure(Func<bool> body)
    {
        // Warm-up; also checks the path saw the whole stream (segmented copies are built here, outside the measurement).
        for (int i = 0; i < 5; i++)
        {
            if (!body())
            {
                throw new InvalidOperationException("The stream was not relayed to its end.");
            }
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Runs; i++)
        {
            body();
        }

        return (double)(GC.GetAllocatedBytesForCurrentThread() - before) / Runs;
    }

    /// <summary>Ended as its API ends: a terminal event, or (Chat without [DONE], Gemini always) a finish reason and then the end.</summary>
    private static bool Completed(ProxyExchange exchange) =>
        exchange.Terminal == TerminalKind.Completed || (exchange.Terminal == TerminalKind.None && exchange.Accumulator.FinishedImplicitly);

    private static ProxyExchange NewExchange(ApiKind api, ProviderRoute route) =>
        new("req_probe", api, route, ReadOnlyMemory<byte>.Empty, isStreaming: true, DateTimeOffset.UnixEpoch);

    private static bool DecodeTap(ProxyStreamFactory factory, ProxyExchange exchange, ReadOnlySequence<byte> buffer, int expectedFrames)
    {
        ProxyRun run = factory.CreateRun(exchange);
        var decoder = new SseFrameDecoder(factory.Options.MaxEventBytes);
        long frames = 0;
        while (decoder.TryRead(ref buffer, isFinalBlock: true, out ResponseFrame frame) == DecodeStatus.Frame)
        {
            if (run.ProcessFrame(ref frame))
            {
                frames++;
            }
        }

        return frames == expectedFrames && Completed(exchange) && exchange.Usage.Status == UsageStatus.Reported;
    }

    private static readonly DiscardPipeWriter Client = new();

    private static bool Pump(ProxyStreamFactory factory, ProxyExchange exchange, PipeReader upstream)
    {
        ProxyRun run = factory.CreateRun(exchange);
        long before = Client.Written;
        PumpResult result = BenchGraphs.Pump(run, upstream, Client);
        run.Complete();
        upstream.Complete();
        return result == PumpResult.UpstreamEnded && Completed(exchange)
            && exchange.Usage.Status == UsageStatus.Reported && Client.Written > before;
    }

    /// <summary>As <see cref="Pump"/>, but the client is a new <c>PipeWriter.Create(Stream.Null)</c>, whose own segments count too.</summary>
    private static bool PumpStreamNull(ProxyStreamFactory factory, ProxyExchange exchange, PipeReader upstream)
    {
        ProxyRun run = factory.CreateRun(exchange);
        PipeWriter client = PipeWriter.Create(Stream.Null, new StreamPipeWriterOptions(leaveOpen: true));
        PumpResult result = BenchGraphs.Pump(run, upstream, client);
        run.Complete();
        upstream.Complete();
        client.Complete();
        return result == PumpResult.UpstreamEnded && Completed(exchange) && exchange.Usage.Status == UsageStatus.Reported;
    }

    private static readonly Dictionary<byte[], ReadOnlySequence<byte>> SegmentedCache = new(ReferenceEqualityComparer.Instance);

    /// <summary>The bytes as a chain of <paramref name="size"/>-byte segments (cached: built once, outside measurement).</summary>
    private static ReadOnlySequence<byte> Segmented(byte[] bytes, int size)
    {
        if (SegmentedCache.TryGetValue(bytes, out ReadOnlySequence<byte> cached))
        {
            return cached;
        }

        Segment first = new(bytes.AsMemory(0, Math.Min(size, bytes.Length)), 0);
        Segment last = first;
        for (int offset = size; offset < bytes.Length; offset += size)
        {
            last = last.Append(bytes.AsMemory(offset, Math.Min(size, bytes.Length - offset)));
        }

        var sequence = new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
        SegmentedCache[bytes] = sequence;
        return sequence;
    }

    private static SseStream WithoutModel(SseStream stream)
    {
        string text = Encoding.UTF8.GetString(stream.Bytes).Replace($"\"model\":\"{StreamShapes.Model}\",", "", StringComparison.Ordinal);
        return stream with { Bytes = Encoding.UTF8.GetBytes(text) };
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
