namespace AkkaProxy.Pipeline.Usage;

/// <summary>The property names the relay cares about, matched without allocating.</summary>
internal enum JsonName : byte
{
    Other = 0,
    ArrayItem,
    Type,
    Id,
    Model,
    Usage,
    Response,
    Message,
    Choices,
    FinishReason,
    Error,
    Status,
    SequenceNumber,
    StreamId,
    PreviousResponseId,
    StopReason,
    Delta,
    PromptTokens,
    CompletionTokens,
    PromptTokensDetails,
    CompletionTokensDetails,
    InputTokens,
    OutputTokens,
    InputTokensDetails,
    OutputTokensDetails,
    CachedTokens,
    CacheWriteTokens,
    ReasoningTokens,
    CacheCreationInputTokens,
    CacheReadInputTokens,
    TotalTokens,

    /// <summary>Gemini's <c>cachedContentTokenCount</c> (in <c>usageMetadata</c>).</summary>
    CachedContentTokenCount,

    /// <summary>Gemini's <c>thoughtsTokenCount</c> (in <c>usageMetadata</c>).</summary>
    ThoughtsTokenCount,
}
