using System.Text.Json;

namespace AkkaProxy.Pipeline.Tests.Conformance;

/// <summary>llmproxy's usage, from either of the two shapes it reports, with absent counters read as zero.</summary>
/// <param name="Present">False when llmproxy reported no usage at all (<c>"usage": null</c>).</param>
/// <param name="Prompt">llmproxy's prompt tokens; for Anthropic this is <c>input_tokens</c> alone.</param>
/// <param name="Completion">Completion (output) tokens.</param>
/// <param name="Total">Total tokens as llmproxy reported or computed them.</param>
/// <param name="Cached">Cache reads: <c>cached_tokens</c> (OpenAI) or <c>cache_read_input_tokens</c> (Anthropic).</param>
/// <param name="CacheWrite">Cache writes: <c>cache_creation_input_tokens</c> (Anthropic) or <c>cache_write_tokens</c>.</param>
/// <param name="Reasoning">Reasoning tokens (llmproxy's <c>custom.reasoning_tokens</c>).</param>
internal readonly record struct LlmproxyUsage(bool Present, long Prompt, long Completion, long Total, long Cached, long CacheWrite, long Reasoning)
{
    /// <summary>Reads the <c>meta</c> shape: <c>usage.prompt_tokens…</c> plus <c>custom.reasoning_tokens</c> and <c>custom.cache_usage</c>.</summary>
    public static LlmproxyUsage FromMeta(JsonElement meta) => new(
        Observed.Has(meta, "usage"),
        Observed.Long(meta, "usage", "prompt_tokens"),
        Observed.Long(meta, "usage", "completion_tokens"),
        Observed.Long(meta, "usage", "total_tokens"),
        CacheReads(Observed.Find(meta, "custom", "cache_usage")),
        CacheWrites(Observed.Find(meta, "custom", "cache_usage")),
        Observed.Long(meta, "custom", "reasoning_tokens"));

    /// <summary>Reads the event shape: <c>{PromptTokens, CompletionTokens, TotalTokens, CacheUsage, ReasoningTokens}</c> or null.</summary>
    public static LlmproxyUsage FromEvent(JsonElement? usage) => usage is not { } u
        ? default
        : new(
            true,
            Observed.Long(u, "PromptTokens"),
            Observed.Long(u, "CompletionTokens"),
            Observed.Long(u, "TotalTokens"),
            CacheReads(Observed.Find(u, "CacheUsage")),
            CacheWrites(Observed.Find(u, "CacheUsage")),
            Observed.Long(u, "ReasoningTokens"));

    private static long CacheReads(JsonElement? cache) => cache is { } c
        ? Observed.Long(c, "cached_tokens") + Observed.Long(c, "cache_read_input_tokens")
        : 0;

    private static long CacheWrites(JsonElement? cache) => cache is { } c
        ? Observed.Long(c, "cache_creation_input_tokens") + Observed.Long(c, "cache_write_tokens")
        : 0;
}
