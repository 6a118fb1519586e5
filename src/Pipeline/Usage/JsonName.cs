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

    /// <summary>Gemini's <c>toolUsePromptTokenCount</c> (in <c>usageMetadata</c>): input from tools (search, code execution), billed as input.</summary>
    ToolUsePromptTokenCount,

    /// <summary>Gemini's <c>promptFeedback</c>, whose <c>blockReason</c> ends a response blocked at its prompt.</summary>
    PromptFeedback,

    /// <summary>Gemini's <c>promptFeedback.blockReason</c>.</summary>
    BlockReason,

    /// <summary>Bedrock's <c>amazon-bedrock-invocationMetrics</c>, the usage of an InvokeModel stream's last chunk.</summary>
    InvocationMetrics,
}
