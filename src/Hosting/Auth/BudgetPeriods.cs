using AkkaProxy.Hosting.Configuration;

namespace AkkaProxy.Hosting.Auth;

/// <summary>Where a budget period starts and ends, in UTC.</summary>
internal static class BudgetPeriods
{
    /// <summary>The start of the period <paramref name="at"/> falls in.</summary>
    public static DateTimeOffset StartOf(BudgetPeriod period, DateTimeOffset at)
    {
        DateTime day = at.UtcDateTime.Date;
        return period switch
        {
            BudgetPeriod.Day => new DateTimeOffset(day, TimeSpan.Zero),
            BudgetPeriod.Week => new DateTimeOffset(day.AddDays(-(((int)day.DayOfWeek + 6) % 7)), TimeSpan.Zero),
            _ => new DateTimeOffset(day.Year, day.Month, 1, 0, 0, 0, TimeSpan.Zero),
        };
    }

    /// <summary>The start of the period after the one starting at <paramref name="start"/>.</summary>
    public static DateTimeOffset Next(BudgetPeriod period, DateTimeOffset start) => period switch
    {
        BudgetPeriod.Day => start.AddDays(1),
        BudgetPeriod.Week => start.AddDays(7),
        _ => start.AddMonths(1),
    };

    /// <summary>How the period is named in a message ("daily", ...).</summary>
    public static string Adjective(BudgetPeriod period) => period switch
    {
        BudgetPeriod.Day => "daily",
        BudgetPeriod.Week => "weekly",
        _ => "monthly",
    };
}
