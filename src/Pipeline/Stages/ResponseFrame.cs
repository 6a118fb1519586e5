using System.Buffers;

namespace AkkaProxy.Pipeline.Stages;

/// <summary>
/// One unit of the response as it flows from the upstream to the client: an SSE event, a body
/// chunk or a WebSocket message. The bytes belong to the run's buffers and are valid only during
/// the stage call that receives them; copy out what must outlive it.
/// </summary>
public readonly struct ResponseFrame
{
    private static ReadOnlySpan<byte> DoneMarker => "[DONE]"u8;

    /// <summary>Creates a frame.</summary>
    /// <param name="kind">What the frame holds.</param>
    /// <param name="raw">The bytes the client will receive, exactly as the upstream sent them.</param>
    /// <param name="eventName">For SSE, the value of the <c>event:</c> field (empty when absent).</param>
    /// <param name="data">The payload: SSE data lines joined by <c>\n</c>, the message, or the chunk.</param>
    /// <param name="hasData">Whether the frame has a payload (an SSE comment-only block has none).</param>
    public ResponseFrame(FrameKind kind, ReadOnlySequence<byte> raw, ReadOnlySequence<byte> eventName, ReadOnlySequence<byte> data, bool hasData)
        : this(kind, raw, eventName, data, hasData, isException: false)
    {
    }

    internal ResponseFrame(FrameKind kind, ReadOnlySequence<byte> raw, ReadOnlySequence<byte> eventName, ReadOnlySequence<byte> data, bool hasData, bool isException)
    {
        Kind = kind;
        Raw = raw;
        EventName = eventName;
        Data = data;
        HasData = hasData;
        IsException = isException;
    }

    /// <summary>What the frame holds.</summary>
    public FrameKind Kind { get; }

    /// <summary>The bytes forwarded to the client unless a stage replaces or drops the frame.</summary>
    public ReadOnlySequence<byte> Raw { get; }

    /// <summary>For an SSE event, the <c>event:</c> field's value; otherwise empty.</summary>
    public ReadOnlySequence<byte> EventName { get; }

    /// <summary>The payload (SSE data, WebSocket message, body chunk).</summary>
    public ReadOnlySequence<byte> Data { get; }

    /// <summary>Whether <see cref="Data"/> is meaningful.</summary>
    public bool HasData { get; }

    /// <summary>For an event stream message: whether it is an exception (<c>:message-type</c> <c>exception</c> or <c>error</c>), which ends the stream.</summary>
    public bool IsException { get; }

    /// <summary>True for the OpenAI stream terminator <c>data: [DONE]</c>.</summary>
    public bool IsDoneMarker => HasData && Data.Length == DoneMarker.Length && (Data.IsSingleSegment
        ? Data.FirstSpan.SequenceEqual(DoneMarker)
        : SequenceEquals(Data, DoneMarker));

    /// <summary>Returns a frame with the same kind and payload whose client bytes are <paramref name="raw"/>.</summary>
    public ResponseFrame WithRaw(ReadOnlyMemory<byte> raw) => new(Kind, new ReadOnlySequence<byte>(raw), EventName, Data, HasData, IsException);

    private static bool SequenceEquals(ReadOnlySequence<byte> sequence, ReadOnlySpan<byte> expected)
    {
        Span<byte> copy = stackalloc byte[expected.Length];
        sequence.CopyTo(copy);
        return copy.SequenceEqual(expected);
    }
}
