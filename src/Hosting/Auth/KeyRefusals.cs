using System.Globalization;
using AkkaProxy.Hosting.Configuration;
using AkkaProxy.Pipeline.Admission;

namespace AkkaProxy.Hosting.Auth;

/// <summary>
/// The refusals of a key's limits, worded the same whoever decides them: this process's own
/// <see cref="KeyAccount"/>, or a cluster's shared count of the key.
/// </summary>
internal static class KeyRefusals
{
    /// <summary>The budget of the period is used up; it resets at <paramref name="reset"/>.</summary>
    public static AdmissionRefusal Budget(RelayKeyOptions key, decimal spent, DateTimeOffset reset, DateTimeOffset now) =>
        new(429, "budget_exceeded",
            $"Relay key '{key.Id}' has used its {BudgetPeriods.Adjective(key.BudgetPeriod)} budget: {Money(spent)} spent of {Money(key.Budget ?? 0m)}. It resets at {Stamp(reset)}.",
            reset - now, "insufficient_quota");

    /// <summary>The minute's tokens are used up; the window ends at <paramref name="windowEnd"/>.</summary>
    public static AdmissionRefusal Tokens(RelayKeyOptions key, long used, DateTimeOffset windowEnd, DateTimeOffset now) =>
        new(429, "rate_limit_exceeded",
            $"Rate limit reached for relay key '{key.Id}': {key.TokensPerMinute} tokens per minute ({used} used). It resets at {Stamp(windowEnd)}.",
            windowEnd - now, "tokens");

    /// <summary>The minute's requests are used up; the window ends at <paramref name="windowEnd"/>.</summary>
    public static AdmissionRefusal Requests(RelayKeyOptions key, DateTimeOffset windowEnd, DateTimeOffset now) =>
        new(429, "rate_limit_exceeded",
            $"Rate limit reached for relay key '{key.Id}': {key.RequestsPerMinute} requests per minute. It resets at {Stamp(windowEnd)}.",
            windowEnd - now, "requests");

    /// <summary>What is left of a limit is held by other relay nodes for the moment (a cluster's shared count): retry shortly.</summary>
    public static AdmissionRefusal HeldElsewhere(RelayKeyOptions key, TimeSpan retryAfter) =>
        new(429, "rate_limit_exceeded",
            $"Relay key '{key.Id}' is at its limit on this relay node: what is left of it is held by other nodes of the cluster. Retry in a moment.",
            retryAfter, "requests");

    private static string Stamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Money(decimal amount) => amount.ToString("0.00####", CultureInfo.InvariantCulture);
}
