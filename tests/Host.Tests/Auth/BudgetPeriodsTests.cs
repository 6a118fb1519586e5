using AkkaProxy.Hosting.Auth;
using AkkaProxy.Hosting.Configuration;

namespace AkkaProxy.Host.Tests.Auth;

/// <summary>Budget periods are UTC calendar periods: a day from midnight, an ISO week from Monday, a month from the first.</summary>
public sealed class BudgetPeriodsTests
{
    [Theory]
    [InlineData(BudgetPeriod.Day, "2026-12-01T23:59:59+00:00", "2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z")]
    [InlineData(BudgetPeriod.Day, "2026-12-02T01:30:00+05:00", "2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z")] // 20:30 UTC the day before
    [InlineData(BudgetPeriod.Week, "2026-12-06T12:00:00+00:00", "2026-11-30T00:00:00Z", "2026-12-07T00:00:00Z")] // a Sunday: the week began on Monday
    [InlineData(BudgetPeriod.Week, "2026-11-30T00:00:00+00:00", "2026-11-30T00:00:00Z", "2026-12-07T00:00:00Z")] // Monday midnight begins one
    [InlineData(BudgetPeriod.Month, "2026-12-31T23:00:00+00:00", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z")]
    [InlineData(BudgetPeriod.Month, "2027-02-15T00:00:00+00:00", "2027-02-01T00:00:00Z", "2027-03-01T00:00:00Z")]
    public void APeriod_StartsAndEnds_OnUtcCalendarBoundaries(BudgetPeriod period, string at, string start, string next)
    {
        DateTimeOffset begun = BudgetPeriods.StartOf(period, DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(DateTimeOffset.Parse(start, System.Globalization.CultureInfo.InvariantCulture), begun);
        Assert.Equal(DateTimeOffset.Parse(next, System.Globalization.CultureInfo.InvariantCulture), BudgetPeriods.Next(period, begun));
    }

    [Fact]
    public void BadLimits_AreEachReported_WithTheirPath()
    {
        var key = new RelayKeyOptions { Id = "team-b", RequestsPerMinute = 0, TokensPerMinute = -1, Budget = -5m, AllowedProviders = ["openai", "opneai"] };
        string[] problems = [.. key.Problems(["openai", "anthropic"])];
        Assert.Equal(4, problems.Length);
        Assert.Contains(problems, p => p.StartsWith("akkaproxy.auth.keys.team-b.requests-per-minute", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("akkaproxy.auth.keys.team-b.tokens-per-minute", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("akkaproxy.auth.keys.team-b.budget", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'opneai', which is not a configured provider", StringComparison.Ordinal));
    }
}
