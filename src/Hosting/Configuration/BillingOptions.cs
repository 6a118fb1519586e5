namespace AkkaProxy.Hosting.Configuration;

/// <summary>Billing queue and views.</summary>
internal sealed class BillingOptions
{
    /// <summary>Records waiting for the sinks before handlers wait.</summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>Records kept for <c>GET /admin/usage</c>.</summary>
    public int RecentRecords { get; set; } = 1000;

    /// <summary>Records buffered for each subscriber of the live feed (<c>GET /admin/usage/live</c>); past that its records are dropped and it is told how many.</summary>
    public int LiveBuffer { get; set; } = 256;

    /// <summary>How long the live feed stays silent before it sends a heartbeat comment, so proxies keep it open.</summary>
    public TimeSpan LiveHeartbeat { get; set; } = TimeSpan.FromSeconds(15);
}
