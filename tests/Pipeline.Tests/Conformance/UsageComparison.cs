using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Tests.Conformance;

/// <summary>Compares llmproxy's usage with our <see cref="TokenUsage"/>, counter by counter.</summary>
internal static class UsageComparison
{
    /// <summary>
    /// Input against llmproxy's prompt tokens, output, total, cache reads, cache writes and reasoning.
    /// Our input is always the total input (cache reads and writes included) and our total is input
    /// plus output, so where llmproxy counts differently the fixture must list why.
    /// </summary>
    public static void Compare(FieldComparison comparison, LlmproxyUsage llmproxy, TokenUsage ours, bool comparePresence = false)
    {
        if (comparePresence)
        {
            comparison.Equal("usage.present", llmproxy.Present, ours.Status != UsageStatus.Missing);
        }

        comparison.Equal("usage.input", llmproxy.Prompt, ours.InputTokens);
        comparison.Equal("usage.output", llmproxy.Completion, ours.OutputTokens);
        comparison.Equal("usage.total", llmproxy.Total, ours.TotalTokens);
        comparison.Equal("usage.cached", llmproxy.Cached, ours.CachedInputTokens);
        comparison.Equal("usage.cache_write", llmproxy.CacheWrite, ours.CacheWriteTokens);
        comparison.Equal("usage.reasoning", llmproxy.Reasoning, ours.ReasoningTokens);
    }

    /// <summary>Our terminal signal in llmproxy's <c>custom.status</c> words.</summary>
    public static string StatusOf(TerminalKind terminal) => terminal switch
    {
        TerminalKind.Completed => "completed",
        TerminalKind.Failed => "failed",
        TerminalKind.Incomplete => "incomplete",
        _ => "",
    };
}
