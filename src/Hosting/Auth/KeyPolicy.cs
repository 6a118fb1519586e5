using System.Collections.Frozen;
using AkkaProxy.Hosting.Configuration;
using AkkaProxy.Pipeline.Admission;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Routing;

namespace AkkaProxy.Hosting.Auth;

/// <summary>
/// The relay keys' limits on the data path: allowed providers and models, requests and tokens per
/// minute, and spend per budget period (see <see cref="KeyAccount"/>). Keys without limits are not
/// looked at. Spend of the current periods is read back from the usage ledger at start-up
/// (<see cref="KeySpendRestorer"/>); until then, a key with a budget is answered 503.
/// </summary>
internal sealed class KeyPolicy : IRequestAdmission
{
    private readonly FrozenDictionary<string, KeyAccount> _accounts;
    private readonly PricingTable _pricing;
    private readonly TimeProvider _time;
    private volatile bool _restored;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Provider, string Model), bool> _priced = new();
    private readonly Func<ProviderRoute, bool> _isPriced;

    /// <summary>Most (provider, model) pairs whose pricing is remembered; models come from clients, so the memory is bounded.</summary>
    private const int PricedCapacity = 4096;

    public KeyPolicy(RelayAuthOptions auth, PricingTable pricing, TimeProvider time)
    {
        _pricing = pricing;
        _time = time;
        DateTimeOffset now = time.GetUtcNow();
        _accounts = auth.Keys.Where(k => k.HasLimits).ToFrozenDictionary(k => k.Id, k => new KeyAccount(k, now), StringComparer.Ordinal);
        _restored = !_accounts.Values.Any(a => a.Key.Budget is not null);
        _isPriced = IsPriced;
    }

    /// <summary>Whether any key has a limit (without one, the relay needs no admission at all).</summary>
    public bool HasLimits => _accounts.Count > 0;

    /// <summary>Whether the budgets' spend has been read back from the ledger (or there is nothing to read).</summary>
    public bool IsRestored => _restored;

    /// <summary>The keys with a budget.</summary>
    public IEnumerable<KeyAccount> Budgeted => _accounts.Values.Where(a => a.Key.Budget is not null);

    /// <inheritdoc />
    public bool MayUse(string? keyId, Provider provider) =>
        keyId is null || !_accounts.TryGetValue(keyId, out KeyAccount? account) || account.MayUse(provider);

    /// <inheritdoc />
    public AdmissionRefusal? Admit(in AdmissionRequest request)
    {
        if (request.KeyId is null || !_accounts.TryGetValue(request.KeyId, out KeyAccount? account))
        {
            return null;
        }

        if (!_restored && account.Key.Budget is not null)
        {
            return new AdmissionRefusal(503, "relay_starting",
                "The relay is still reading this key's spend back from its usage ledger; retry in a moment.", TimeSpan.FromSeconds(1), "server_error");
        }

        return account.Admit(request.Route, request.RequestedModel, _isPriced, _time.GetUtcNow());
    }

    /// <summary>Whether the route's model has a price; remembered per (provider, model), up to <see cref="PricedCapacity"/> pairs, since the table's lookup matches every pattern.</summary>
    private bool IsPriced(ProviderRoute route)
    {
        (string, string) key = (route.Provider.Name, route.UpstreamModel);
        if (_priced.TryGetValue(key, out bool priced))
        {
            return priced;
        }

        priced = _pricing.Find(route.Provider.Name, route.UpstreamModel) is not null;
        if (_priced.Count < PricedCapacity)
        {
            _priced.TryAdd(key, priced);
        }

        return priced;
    }

    /// <inheritdoc />
    public void Billed(BillingRecord record)
    {
        if (record.KeyId is not null && _accounts.TryGetValue(record.KeyId, out KeyAccount? account))
        {
            account.Billed(record, _time.GetUtcNow());
        }
    }

    /// <summary>Marks the spend as read back: from now on budgets decide.</summary>
    public void MarkRestored() => _restored = true;
}
