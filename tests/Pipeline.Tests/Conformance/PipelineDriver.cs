using System.Buffers;
using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Tests.Conformance;

/// <summary>
/// Runs one upstream response through the real stage chain (<see cref="ProxyStreamBuilder"/> defaults:
/// model rewrite, include-usage, usage tap), the way <c>ProxyRun.PumpAsync</c> feeds it: frames in
/// order (an unreadable event is relayed and counted, and the stream goes on), then <c>Complete()</c>.
/// </summary>
internal static class PipelineDriver
{
    private static readonly ProxyStreamFactory s_factory = new ProxyStreamBuilder().Build();

    /// <summary>An SSE stream, read <paramref name="readSize"/> bytes at a time.</summary>
    public static DriveResult Sse(ApiKind api, byte[] input, int readSize)
    {
        var run = new Run(api, isStreaming: true);
        var decoded = new ArrayBufferWriter<byte>();
        SseFeeder.Feed(input, readSize, s_factory.Options.MaxEventBytes, frame =>
        {
            Append(decoded, frame.Raw);
            run.Process(frame);
        });
        return run.Finish(decoded.WrittenSpan.ToArray());
    }

    /// <summary>A non-streaming body, in chunks of <paramref name="readSize"/> bytes.</summary>
    public static DriveResult Body(ApiKind api, byte[] input, int readSize)
    {
        var run = new Run(api, isStreaming: false);
        for (int offset = 0; offset < input.Length; offset += readSize)
        {
            var chunk = new ReadOnlySequence<byte>(input, offset, Math.Min(readSize, input.Length - offset));
            run.Process(new ResponseFrame(FrameKind.BodyChunk, chunk, default, chunk, hasData: true));
        }

        return run.Finish([]);
    }

    /// <summary>One SSE event whose data (the <c>data:</c> lines joined) is <paramref name="data"/>.</summary>
    public static DriveResult Event(ApiKind api, byte[] data)
    {
        var run = new Run(api, isStreaming: true);
        var bytes = new ReadOnlySequence<byte>(data);
        run.Process(new ResponseFrame(FrameKind.SseEvent, bytes, default, bytes, hasData: true));
        return run.Finish([]);
    }

    private static void Append(ArrayBufferWriter<byte> writer, in ReadOnlySequence<byte> bytes)
    {
        foreach (ReadOnlyMemory<byte> segment in bytes)
        {
            writer.Write(segment.Span);
        }
    }

    /// <summary>The per-run state of one drive.</summary>
    private sealed class Run
    {
        private readonly ProxyExchange _exchange;
        private readonly ProxyRun _run;
        private readonly ArrayBufferWriter<byte> _client = new();
        private EventFacts _lastFacts;
        private bool _sawDone;

        public Run(ApiKind api, bool isStreaming)
        {
            _exchange = new ProxyExchange("conformance", api, ConformanceRouting.RouteFor(api), ReadOnlyMemory<byte>.Empty, isStreaming, DateTimeOffset.UnixEpoch);
            _run = s_factory.CreateRun(_exchange);
        }

        public void Process(ResponseFrame frame)
        {
            _sawDone |= frame.IsDoneMarker;
            if (_run.ProcessFrame(ref frame))
            {
                Append(_client, frame.Raw);
            }

            _lastFacts = _exchange.CurrentFacts;
        }

        public DriveResult Finish(byte[] decodedRaw)
        {
            _run.Complete();
            return new DriveResult(
                _exchange.Usage,
                _exchange.ResponseId,
                _exchange.ResponseModel,
                _exchange.Terminal,
                _client.WrittenSpan.ToArray(),
                decodedRaw,
                _exchange.Accumulator.UnreadableEvents > 0,
                _lastFacts,
                _sawDone);
        }
    }
}
