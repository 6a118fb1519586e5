namespace AkkaProxy.Pipeline.Usage;

/// <summary>How much of a request's token usage the relay saw.</summary>
public enum UsageStatus
{
    /// <summary>No usage object was seen (an upstream error, an abort before any usage, or a provider that sends none).</summary>
    Missing = 0,

    /// <summary>Some counters were seen but not the final report (for example Anthropic's <c>message_start</c> without a later <c>message_delta</c>).</summary>
    Partial = 1,

    /// <summary>The provider's final usage report was seen.</summary>
    Reported = 2,

    /// <summary>A usage object was present but could not be read (malformed JSON or wrong types). The counters are not trustworthy.</summary>
    Unknown = 3,
}
