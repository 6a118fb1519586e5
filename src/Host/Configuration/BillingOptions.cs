namespace AkkaProxy.Host.Configuration;

/// <summary>Billing queue and views.</summary>
public sealed class BillingOptions
{
    /// <summary>Records waiting for the sinks before handlers wait.</summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>Records kept for <c>GET /admin/usage</c>.</summary>
    public int RecentRecords { get; set; } = 1000;
}
