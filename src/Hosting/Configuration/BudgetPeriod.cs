namespace AkkaProxy.Hosting.Configuration;

/// <summary>The calendar period a relay key's budget is for, in UTC; spend starts again from zero at the next one.</summary>
public enum BudgetPeriod
{
    /// <summary>From 00:00 UTC to the next.</summary>
    Day,

    /// <summary>From Monday 00:00 UTC to the next (ISO weeks).</summary>
    Week,

    /// <summary>From the first of the month, 00:00 UTC, to the next.</summary>
    Month,
}
