namespace AkkaProxy.Pipeline.Supervision;

/// <summary>How an exchange ended, as billed.</summary>
public enum ExchangeOutcome
{
    /// <summary>The response finished normally.</summary>
    Completed,

    /// <summary>The response ended incomplete (for example <c>max_output_tokens</c> reached).</summary>
    Incomplete,

    /// <summary>The response failed after it started (upstream error event, reset, malformed bytes, idle timeout, oversize event).</summary>
    Failed,

    /// <summary>The client went away before the response finished.</summary>
    ClientAborted,

    /// <summary>The upstream answered with an error status, or could not be reached or timed out.</summary>
    UpstreamError,
}
