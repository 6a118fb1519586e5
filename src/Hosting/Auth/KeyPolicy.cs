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
    private readonly ISharedKeyLimits? _shared;

    /// <summary>Most (provider, model) pairs whose pricing is remembered; models come from clients, so the memory is bounded.</summary>
    private const int PricedCapacity = 4096;

    /// <param name="auth">The keys.</param>
    /// <param name="pricing">The prices (a key with a budget is refused models without one).</param>
    /// <param name="time">The clock.</param>
    /// <param name="shared">The cluster's shared counts of the keys, when nodes share them; null counts in this process.</param>
    public KeyPolicy(RelayAuthOptions auth, PricingTable pricing, TimeProvider time, ISharedKeyLimits? shared = null)
    {
        _shared = shared;
        _pricing = pricing;
        _time = time;
        DateTimeOffset now = time.GetUtcNow();
        _accounts = auth.Keys.Where(k => k.HasLimits).ToFrozenDictionary(k => k.Id, k => new KeyAccount(k, now), StringComparer.Ordinal);
        // Shared counts are rebuilt from the ledger by the cluster's entity of each key, not read here.
        _restored = shared is not null || !_accounts.Values.Any(a => a.Key.Budget is not null);
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

    /// <summary>Whether the keys' counts are the cluster's, shared by its nodes.</summary>
    public bool IsShared => _shared is not null;

    /// <inheritdoc />
    /// <remarks>With counts shared by a cluster, a decision that needs the key's entity (this node's lease of the key cannot decide) is not waited for here: it is a 503 to retry. The relay itself calls <see cref="AdmitAsync"/>.</remarks>
    public AdmissionRefusal? Admit(in AdmissionRequest request) => Decide(request, wait: false).Result;

    /// <inheritdoc />
    public ValueTask<AdmissionRefusal?> AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken) => Decide(request, wait: true, cancellationToken);

    private ValueTask<AdmissionRefusal?> Decide(in AdmissionRequest request, bool wait, CancellationToken cancellationToken = default)
    {
        if (request.KeyId is null || !_accounts.TryGetValue(request.KeyId, out KeyAccount? account))
        {
            return default;
        }

        if (!_restored && account.Key.Budget is not null)
        {
            return new(new AdmissionRefusal(503, "relay_starting",
                "The relay is still reading this key's spend back from its usage ledger; retry in a moment.", TimeSpan.FromSeconds(1), "server_error"));
        }

        if (account.Forbids(request.Route, request.RequestedModel, _isPriced) is { } forbidden)
        {
            return new(forbidden);
        }

        if (_shared is null)
        {
            return new(account.Count(_time.GetUtcNow()));
        }

        RelayKeyOptions key = account.Key;
        if (key.RequestsPerMinute is null && key.TokensPerMinute is null && key.Budget is null)
        {
            return default; // only allowed providers or models: nothing the cluster counts
        }

        return wait ? _shared.AdmitAsync(key, cancellationToken) : new(_shared.TryAdmit(key));
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
            if (_shared is null)
            {
                account.Billed(record, _time.GetUtcNow());
            }
            else
            {
                _shared.Billed(account.Key, record);
            }
        }
    }

    /// <summary>Marks the spend as read back: from now on budgets decide.</summary>
    public void MarkRestored() => _restored = true;
}
