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
}
