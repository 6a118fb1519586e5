namespace AkkaProxy.Hosting.Ledger;

/// <summary>The width of one point of a ledger time series; buckets are aligned on UTC (a day starts at 00:00 UTC).</summary>
internal enum LedgerBucket
{
    /// <summary>One minute (60,000 ms of Unix time).</summary>
    Minute,

    /// <summary>One hour (3,600,000 ms).</summary>
    Hour,

    /// <summary>One UTC day (86,400,000 ms).</summary>
    Day,
}
