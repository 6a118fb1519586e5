using System.Text.Json;

namespace AkkaProxy.Pipeline.Usage;

/// <summary>
/// Maps a property-name token to <see cref="JsonName"/> by comparing UTF-8 bytes, never building a string.
/// Gemini's names map onto the roles OpenAI's play (<c>usageMetadata</c> is the usage object,
/// <c>candidates</c> the choices, <c>promptTokenCount</c> the prompt tokens, <c>responseId</c> the id,
/// <c>modelVersion</c> the model), and so do Bedrock's (<c>inputTokens</c>, <c>cacheWriteInputTokens</c> as
/// Anthropic's cache creation, <c>amazon-bedrock-invocationMetrics</c>' <c>inputTokenCount</c>): a document
/// of one API never carries the other's names.
/// </summary>
internal static class JsonNames
{
    private const int MaxKnownLength = 32;

    public static JsonName Identify(ref Utf8JsonReader reader)
    {
        if (!reader.HasValueSequence && !reader.ValueIsEscaped)
        {
            return Identify(reader.ValueSpan);
        }

        // Escaped or split names are rare: unescape into a small stack buffer.
        int length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        if (length > MaxKnownLength * 6)
        {
            return JsonName.Other;
        }

        Span<byte> buffer = stackalloc byte[MaxKnownLength * 6];
        int written = reader.CopyString(buffer);
        return Identify(buffer[..written]);
    }

    public static JsonName Identify(ReadOnlySpan<byte> name) => name.Length switch
    {
        2 when name.SequenceEqual("id"u8) => JsonName.Id,
        4 when name.SequenceEqual("type"u8) => JsonName.Type,
        5 when name.SequenceEqual("model"u8) => JsonName.Model,
        5 when name.SequenceEqual("usage"u8) => JsonName.Usage,
        5 when name.SequenceEqual("error"u8) => JsonName.Error,
        5 when name.SequenceEqual("delta"u8) => JsonName.Delta,
        6 when name.SequenceEqual("status"u8) => JsonName.Status,
        7 when name.SequenceEqual("message"u8) => JsonName.Message,
        7 when name.SequenceEqual("choices"u8) => JsonName.Choices,
        8 when name.SequenceEqual("response"u8) => JsonName.Response,
        9 when name.SequenceEqual("stream_id"u8) => JsonName.StreamId,
        10 when name.SequenceEqual("candidates"u8) => JsonName.Choices,
        10 when name.SequenceEqual("responseId"u8) => JsonName.Id,
        10 when name.SequenceEqual("stopReason"u8) => JsonName.StopReason,
        11 when name.SequenceEqual("inputTokens"u8) => JsonName.InputTokens,
        11 when name.SequenceEqual("totalTokens"u8) => JsonName.TotalTokens,
        12 when name.SequenceEqual("outputTokens"u8) => JsonName.OutputTokens,
        15 when name.SequenceEqual("inputTokenCount"u8) => JsonName.InputTokens,
        16 when name.SequenceEqual("outputTokenCount"u8) => JsonName.OutputTokens,
        20 when name.SequenceEqual("cacheReadInputTokens"u8) => JsonName.CacheReadInputTokens,
        21 when name.SequenceEqual("cacheWriteInputTokens"u8) => JsonName.CacheCreationInputTokens,
        24 when name.SequenceEqual("cacheReadInputTokenCount"u8) => JsonName.CacheReadInputTokens,
        25 when name.SequenceEqual("cacheWriteInputTokenCount"u8) => JsonName.CacheCreationInputTokens,
        32 when name.SequenceEqual("amazon-bedrock-invocationMetrics"u8) => JsonName.InvocationMetrics,
        11 when name.SequenceEqual("stop_reason"u8) => JsonName.StopReason,
        11 when name.SequenceEqual("blockReason"u8) => JsonName.BlockReason,
        12 when name.SequenceEqual("input_tokens"u8) => JsonName.InputTokens,
        12 when name.SequenceEqual("total_tokens"u8) => JsonName.TotalTokens,
        12 when name.SequenceEqual("finishReason"u8) => JsonName.FinishReason,
        12 when name.SequenceEqual("modelVersion"u8) => JsonName.Model,
        13 when name.SequenceEqual("finish_reason"u8) => JsonName.FinishReason,
        13 when name.SequenceEqual("prompt_tokens"u8) => JsonName.PromptTokens,
        13 when name.SequenceEqual("output_tokens"u8) => JsonName.OutputTokens,
        13 when name.SequenceEqual("cached_tokens"u8) => JsonName.CachedTokens,
        13 when name.SequenceEqual("usageMetadata"u8) => JsonName.Usage,
        14 when name.SequenceEqual("promptFeedback"u8) => JsonName.PromptFeedback,
        15 when name.SequenceEqual("totalTokenCount"u8) => JsonName.TotalTokens,
        16 when name.SequenceEqual("promptTokenCount"u8) => JsonName.PromptTokens,
        18 when name.SequenceEqual("thoughtsTokenCount"u8) => JsonName.ThoughtsTokenCount,
        20 when name.SequenceEqual("candidatesTokenCount"u8) => JsonName.CompletionTokens,
        23 when name.SequenceEqual("cachedContentTokenCount"u8) => JsonName.CachedContentTokenCount,
        23 when name.SequenceEqual("toolUsePromptTokenCount"u8) => JsonName.ToolUsePromptTokenCount,
        15 when name.SequenceEqual("sequence_number"u8) => JsonName.SequenceNumber,
        16 when name.SequenceEqual("reasoning_tokens"u8) => JsonName.ReasoningTokens,
        17 when name.SequenceEqual("completion_tokens"u8) => JsonName.CompletionTokens,
        18 when name.SequenceEqual("cache_write_tokens"u8) => JsonName.CacheWriteTokens,
        20 when name.SequenceEqual("input_tokens_details"u8) => JsonName.InputTokensDetails,
        20 when name.SequenceEqual("previous_response_id"u8) => JsonName.PreviousResponseId,
        21 when name.SequenceEqual("prompt_tokens_details"u8) => JsonName.PromptTokensDetails,
        21 when name.SequenceEqual("output_tokens_details"u8) => JsonName.OutputTokensDetails,
        23 when name.SequenceEqual("cache_read_input_tokens"u8) => JsonName.CacheReadInputTokens,
        25 when name.SequenceEqual("completion_tokens_details"u8) => JsonName.CompletionTokensDetails,
        27 when name.SequenceEqual("cache_creation_input_tokens"u8) => JsonName.CacheCreationInputTokens,
        _ => JsonName.Other,
    };
}
