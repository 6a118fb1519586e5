namespace AkkaProxy.Pipeline.Usage;

/// <summary>
/// Token usage in one model across Chat Completions, Responses and Anthropic Messages
/// (see docs/architecture.md, "Usage model").
/// </summary>
/// <remarks>
/// <see cref="InputTokens"/> is always the <em>total</em> input, cache reads and cache writes included.
/// OpenAI reports it that way; for Anthropic, whose <c>input_tokens</c> excludes both, the relay adds
/// <c>cache_creation_input_tokens</c> and <c>cache_read_input_tokens</c>. <see cref="ReasoningTokens"/>
/// is a subset of <see cref="OutputTokens"/>, never added to it.
/// </remarks>
public readonly record struct TokenUsage
{
    /// <summary>Total input tokens, including <see cref="CachedInputTokens"/> and <see cref="CacheWriteTokens"/>.</summary>
    public long InputTokens { get; init; }

    /// <summary>Input tokens served from the provider's prompt cache.</summary>
    public long CachedInputTokens { get; init; }

    /// <summary>Input tokens written to the provider's prompt cache.</summary>
    public long CacheWriteTokens { get; init; }

    /// <summary>Output tokens, reasoning included.</summary>
    public long OutputTokens { get; init; }

    /// <summary>Reasoning tokens; part of <see cref="OutputTokens"/>.</summary>
    public long ReasoningTokens { get; init; }

    /// <summary>
    /// Input plus output; when the provider reported only <c>total_tokens</c> (see <see cref="IsTotalOnly"/>),
    /// that total.
    /// </summary>
    public long TotalTokens
    {
        get => _reportedTotal ?? InputTokens + OutputTokens;
        init => _reportedTotal = value;
    }

    /// <summary>
    /// True when the provider reported a <c>total_tokens</c> but neither input nor output (a legacy shape
    /// some OpenAI-compatible servers send): the total is kept, the split between input and output is
    /// unknown, so the usage is <see cref="UsageStatus.Partial"/> and cannot be priced.
    /// </summary>
    public bool IsTotalOnly => _reportedTotal is not null;

    private readonly long? _reportedTotal;

    /// <summary>Input tokens neither read from nor written to the cache (never negative).</summary>
    public long UncachedInputTokens => Math.Max(0, InputTokens - CachedInputTokens - CacheWriteTokens);

    /// <summary>How much of the usage was seen.</summary>
    public UsageStatus Status { get; init; }

    /// <summary>An empty usage with status <see cref="UsageStatus.Missing"/>.</summary>
    public static TokenUsage Missing => default;
}
