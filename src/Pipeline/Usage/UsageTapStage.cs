using System.Buffers;
using System.Text.Json;
using AkkaProxy.Pipeline.Framing;
using AkkaProxy.Pipeline.Stages;

namespace AkkaProxy.Pipeline.Usage;

/// <summary>
/// The usage-extraction tap: reads every frame as the upstream sent it and folds usage, ids and the
/// terminal signal into the exchange. It never changes or drops a frame: its parse is for billing, not
/// for judging the provider. An event whose data is not JSON passes unchanged and is counted (the
/// billing record carries <see cref="UsageWarnings.MalformedEvent"/>); usage from later events still
/// counts. In a Chat stream, events after <c>data: [DONE]</c> pass as they came and are never
/// accounted. A malformed <em>usage object</em> inside valid JSON marks the usage unknown.
/// </summary>
internal sealed class UsageTapStage(long maxCarryBytes) : ProxyStage
{
    public override string Name => "usage-tap";

    internal override bool MayChangeResponseFrames => false;

    public override FrameDecision OnResponseFrame(ProxyExchange exchange, ref ResponseFrame frame)
    {
        switch (frame.Kind)
        {
            case FrameKind.BodyChunk:
                exchange.Scanner.CaptureIdentity = exchange.Accumulator.WantsIdentity;
                BodyScan(exchange).Feed(frame.Data, exchange.Scanner);
                return FrameDecision.Forward;
            case FrameKind.EventStreamMessage:
                return ScanEventStreamMessage(exchange, frame);
            case FrameKind.SseEvent when !frame.HasData || IsBlank(frame.Data):
                // WHATWG SSE dispatches no event for an empty data buffer, and a blank one holds no JSON
                // document: nothing to account and nothing malformed, so it passes without ending the stream.
                exchange.CurrentFacts = default;
                return FrameDecision.Forward;
            case FrameKind.SseEvent when exchange.Accumulator.DoneSeen:
                // [DONE] ended the Chat stream: whatever follows is relayed, never billed (a usage chunk
                // after it must not replace the real usage).
                exchange.CurrentFacts = default;
                exchange.Accumulator.MarkEventAfterDone();
                return FrameDecision.Forward;
            case FrameKind.SseEvent when frame.IsDoneMarker:
                // [DONE] ends a Chat stream; Responses and Anthropic have their own terminal events and
                // a [DONE] there is tolerated but proves nothing (docs/protocol-notes.md §B).
                exchange.CurrentFacts = default;
                if (exchange.Api == ApiKind.ChatCompletions)
                {
                    exchange.Accumulator.MarkDone();
                }

                return FrameDecision.Forward;
            default:
                return ScanEvent(exchange, frame);
        }
    }

    public override void OnCompleted(ProxyExchange exchange)
    {
        if (exchange.BodyScan is not JsonBodyScan scan)
        {
            return;
        }

        if (scan.Finish(exchange.Scanner) == BodyScanResult.Complete)
        {
            exchange.Accumulator.Apply(exchange.Scanner.Facts, exchange.Scanner, isWholeBody: true);
        }
        else
        {
            exchange.Accumulator.MarkUnreadable();
        }

        scan.Dispose();
    }

    /// <summary>
    /// One message of a Bedrock event stream: an exception ends the response as failed; a Converse event's
    /// payload is scanned as JSON, its kind taken from the <c>:event-type</c> header; an InvokeModel
    /// <c>chunk</c>'s model JSON is scanned out of its base64 <c>bytes</c>.
    /// </summary>
    private static FrameDecision ScanEventStreamMessage(ProxyExchange exchange, in ResponseFrame frame)
    {
        if (frame.IsException)
        {
            exchange.CurrentFacts = default;
            exchange.Accumulator.MarkStreamException();
            return FrameDecision.Forward;
        }

        if (exchange.Api != ApiKind.BedrockInvoke)
        {
            return ScanEvent(exchange, frame, ConverseEventType(frame.EventName));
        }

        if (!ByteSequences.IsExactly(frame.EventName, "chunk"u8))
        {
            exchange.CurrentFacts = default;
            return FrameDecision.Forward;
        }

        return Scan(exchange, frame, EventType.None, static (in ResponseFrame f, JsonEventScanner scanner) => BedrockUsage.ScanChunk(f.Data, scanner));
    }

    private static EventType ConverseEventType(in ReadOnlySequence<byte> eventName) =>
        ByteSequences.IsExactly(eventName, "messageStop"u8) ? EventType.MessageStop
        : ByteSequences.IsExactly(eventName, "metadata"u8) ? EventType.Metadata
        : EventType.Other;

    private static FrameDecision ScanEvent(ProxyExchange exchange, in ResponseFrame frame, EventType headerType = EventType.None) =>
        Scan(exchange, frame, headerType, static (in ResponseFrame f, JsonEventScanner scanner) =>
        {
            scanner.ScanDocument(f.Data);
            return true;
        });

    /// <summary>Reads one event's JSON with <paramref name="read"/> (false: nothing to read) and folds what it said into the exchange.</summary>
    private static FrameDecision Scan(ProxyExchange exchange, in ResponseFrame frame, EventType headerType, DocumentReader read)
    {
        JsonEventScanner scanner = exchange.Scanner;
        // Copy out only what is still unknown: a stream whose events carry an id but never a model
        // (or the reverse) would otherwise allocate the known one again on every event.
        scanner.CaptureId = exchange.Accumulator.ResponseId is null;
        scanner.CaptureModel = exchange.Accumulator.ResponseModel is null;
        scanner.ReadsInvocationMetrics = exchange.Api == ApiKind.BedrockInvoke;
        bool readable;
        try
        {
            readable = read(frame, scanner);
        }
        catch (JsonException)
        {
            readable = false;
        }

        if (!readable)
        {
            // Relayed as it came: the client decides what to make of it, and the rest of the stream
            // (its later usage and terminal event above all) still arrives and is billed.
            exchange.CurrentFacts = default;
            exchange.Accumulator.MarkUnreadableEvent();
            return FrameDecision.Forward;
        }

        if (headerType != EventType.None)
        {
            scanner.Facts.Type = headerType; // the framing names the event; the payload does not
        }

        exchange.CurrentFacts = scanner.Facts;
        exchange.Accumulator.Apply(scanner.Facts, scanner, isWholeBody: false);
        return FrameDecision.Forward;
    }

    private delegate bool DocumentReader(in ResponseFrame frame, JsonEventScanner scanner);

    private static bool IsBlank(in ReadOnlySequence<byte> data)
    {
        foreach (ReadOnlyMemory<byte> segment in data)
        {
            if (segment.Span.IndexOfAnyExcept(" \t\r\n"u8) >= 0)
            {
                return false;
            }
        }

        return true;
    }

    private JsonBodyScan BodyScan(ProxyExchange exchange) => exchange.BodyScan ??= new JsonBodyScan(maxCarryBytes);
}
