namespace AkkaProxy.Pipeline.Stages;

/// <summary>What a <see cref="ResponseFrame"/> holds.</summary>
public enum FrameKind
{
    /// <summary>One Server-Sent Event, from its first line to its blank line (or the end of the stream).</summary>
    SseEvent,

    /// <summary>A chunk of a non-streaming body, as it arrived.</summary>
    BodyChunk,

    /// <summary>One complete WebSocket message.</summary>
    WebSocketMessage,

    /// <summary>
    /// One message of AWS's binary event stream (Bedrock's <c>application/vnd.amazon.eventstream</c>), its
    /// checksums checked: <see cref="ResponseFrame.Raw"/> is the whole message, <see cref="ResponseFrame.EventName"/>
    /// its <c>:event-type</c> header (<c>:exception-type</c> for an exception), <see cref="ResponseFrame.Data"/> its payload.
    /// A stage that replaces it must send a whole, valid message.
    /// </summary>
    EventStreamMessage,
}
