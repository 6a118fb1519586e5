namespace AkkaProxy.Pipeline.Billing;

/// <summary>How an exchange ended, as billed.</summary>
public enum ExchangeOutcome
{
    /// <summary>The response finished normally.</summary>
    Completed,

    /// <summary>The response ended incomplete (for example <c>max_output_tokens</c> reached).</summary>
    Incomplete,

    /// <summary>The response failed after it started (upstream error event, reset, idle timeout, oversize event, a relay stage that threw).</summary>
    Failed,

    /// <summary>The client went away before the response finished.</summary>
    ClientAborted,

    /// <summary>The upstream answered with an error status, or could not be reached or timed out.</summary>
    UpstreamError,

    /// <summary>
    /// The relay refused an authenticated request before anything went upstream (unknown model, bad
    /// body, body too large, provider without a key, too many open turns): no usage, cost 0.
    /// </summary>
    Rejected,
}
