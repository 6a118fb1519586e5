namespace AkkaProxy.Pipeline.Usage;

/// <summary>The codes a billing record lists in its warnings: what the relay saw but did not account.</summary>
public static class UsageWarnings
{
    /// <summary>At least one stream event's data was not valid JSON. It was relayed unchanged; usage comes from the events that could be read.</summary>
    public const string MalformedEvent = "upstream_malformed_event";

    /// <summary>A Chat stream sent data after <c>data: [DONE]</c>. It was relayed as it came, and its usage was not billed.</summary>
    public const string DataAfterDone = "data_after_done";
}
