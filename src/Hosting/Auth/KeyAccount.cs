using System.Collections.Frozen;
using AkkaProxy.Hosting.Configuration;
using AkkaProxy.Pipeline.Admission;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Routing;

namespace AkkaProxy.Hosting.Auth;

/// <summary>
/// One relay key's limits and what it has used: requests and tokens in the current minute, spend in
/// the current budget period. Thread-safe; every decision takes one short lock.
/// </summary>
/// <remarks>
/// Rate limits count in fixed windows aligned to the UTC minute, so a refusal can say exactly when
/// the window resets. A request is counted when it is admitted; tokens and spend when it is billed,
/// so a request already in flight when a limit is crossed still completes and is billed (that is
/// the most a limit can be overrun by), and the next one is refused.
/// </remarks>
internal sealed class KeyAccount(RelayKeyOptions key, DateTimeOffset now)
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);
    private readonly Lock _gate = new();
    private readonly FrozenSet<string>? _providers = key.AllowedProviders.Count == 0 ? null : key.AllowedProviders.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
    private DateTimeOffset _window = MinuteOf(now);
    private int _requests;
    private long _tokens;
    private DateTimeOffset _periodStart = BudgetPeriods.StartOf(key.BudgetPeriod, now);
    private decimal _spent;

    /// <summary>The key's settings.</summary>
    public RelayKeyOptions Key => key;

    /// <summary>Admits the request and counts it, or says which limit refuses it.</summary>
    public AdmissionRefusal? Admit(ProviderRoute route, string requestedModel, Func<ProviderRoute, bool> isPriced, DateTimeOffset now) =>
        Forbids(route, requestedModel, isPriced) ?? Count(now);

    /// <summary>Counts the request against this process's own limits, or says which limit refuses it.</summary>
    public AdmissionRefusal? Count(DateTimeOffset now)
    {
        lock (_gate)
        {
            Roll(now);
            if (key.Budget is decimal budget && _spent >= budget)
            {
                return KeyRefusals.Budget(key, _spent, BudgetPeriods.Next(key.BudgetPeriod, _periodStart), now);
            }

            DateTimeOffset windowEnd = _window + Minute;
            if (key.TokensPerMinute is long tokenLimit && _tokens >= tokenLimit)
            {
                return KeyRefusals.Tokens(key, _tokens, windowEnd, now);
            }

            if (key.RequestsPerMinute is int && _requests >= key.RequestsPerMinute)
            {
                return KeyRefusals.Requests(key, windowEnd, now);
            }

            _requests++;
            return null;
        }
    }

    /// <summary>Counts what a billed request used: its tokens in this minute, its cost in its budget period.</summary>
    public void Billed(BillingRecord record, DateTimeOffset now)
    {
        lock (_gate)
        {
            Roll(now);
            _tokens += record.Usage.TotalTokens;
            if (record.Cost is decimal cost && record.StartedAt >= _periodStart)
            {
                _spent += cost;
            }
        }
    }

    /// <summary>Adds spend read back from the ledger for the period starting at <paramref name="periodStart"/>.</summary>
    public void Restore(DateTimeOffset periodStart, decimal spent)
    {
        lock (_gate)
        {
            if (periodStart == _periodStart)
            {
                _spent += spent;
            }
        }
    }

    /// <summary>The start of the budget period <paramref name="now"/> falls in.</summary>
    public DateTimeOffset PeriodStart(DateTimeOffset now) => BudgetPeriods.StartOf(key.BudgetPeriod, now);

    /// <summary>Whether the key's allowed providers include <paramref name="provider"/> (all, when it lists none).</summary>
    public bool MayUse(Provider provider) => _providers is null || _providers.Contains(provider.Name);

    /// <summary>What the key may not use at all (a provider or model it is not allowed, an unpriced model under a budget): the same on every node, counts nothing.</summary>
    public AdmissionRefusal? Forbids(ProviderRoute route, string requestedModel, Func<ProviderRoute, bool> isPriced)
    {
        string provider = route.Provider.Name;
        if (_providers is not null && !_providers.Contains(provider))
        {
            return new AdmissionRefusal(403, "provider_not_allowed",
                $"Relay key '{key.Id}' may not use provider '{provider}'; it may use: {string.Join(", ", key.AllowedProviders)}.", null, "permission_error");
        }

        if (key.AllowedModels.Count > 0 && !AllowsModel(requestedModel, route))
        {
            return new AdmissionRefusal(403, "model_not_allowed",
                $"Relay key '{key.Id}' may not use model '{requestedModel}'; it may use: {string.Join(", ", key.AllowedModels)}.", null, "permission_error");
        }

        if (key.Budget is not null && !isPriced(route))
        {
            // Its cost could not be counted, so the budget could be spent past without limit.
            return new AdmissionRefusal(403, "model_not_priced",
                $"Relay key '{key.Id}' has a budget, and model '{provider}/{route.UpstreamModel}' has no price in akkaproxy.pricing, so its spend could not be counted. Add a price for it.", null, "permission_error");
        }

        return null;
    }

    /// <summary>Whether a pattern of <c>allowed-models</c> matches the model as asked, as sent, or as <c>provider/model</c> (the routing's and pricing's wildcard matching).</summary>
    private bool AllowsModel(string requestedModel, ProviderRoute route)
    {
        string? qualified = null;
        foreach (string pattern in key.AllowedModels)
        {
            if (WildcardPattern.IsMatch(pattern, requestedModel) || WildcardPattern.IsMatch(pattern, route.UpstreamModel)
                || WildcardPattern.IsMatch(pattern, qualified ??= $"{route.Provider.Name}/{route.UpstreamModel}"))
            {
                return true;
            }
        }

        return false;
    }

    private void Roll(DateTimeOffset now)
    {
        DateTimeOffset minute = MinuteOf(now);
        if (minute != _window)
        {
            _window = minute;
            _requests = 0;
            _tokens = 0;
        }

        DateTimeOffset period = BudgetPeriods.StartOf(key.BudgetPeriod, now);
        if (period != _periodStart)
        {
            _periodStart = period;
            _spent = 0;
        }
    }

    /// <summary>The UTC minute <paramref name="at"/> falls in: the rate limits' window.</summary>
    public static DateTimeOffset MinuteOf(DateTimeOffset at) =>
        new(at.UtcTicks - (at.UtcTicks % TimeSpan.TicksPerMinute), TimeSpan.Zero);

}
