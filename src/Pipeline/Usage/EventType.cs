namespace AkkaProxy.Pipeline.Usage;

/// <summary>The value of a top-level <c>"type"</c> field, for the types that matter to accounting.</summary>
internal enum EventType : byte
{
    None = 0,
    Other,
    Error,
    ResponseCreated,
    ResponseInProgress,
    ResponseCompleted,
    ResponseFailed,
    ResponseIncomplete,
    ResponseCreate,
    MessageStart,
    MessageDelta,
    MessageStop,
    Message,

    /// <summary>Bedrock ConverseStream's <c>metadata</c> event (its usage), named by the message's <c>:event-type</c> header.</summary>
    Metadata,
}
