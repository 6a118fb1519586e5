namespace AkkaProxy.Hosting.Configuration;

/// <summary>Who may use the relay.</summary>
internal sealed class RelayAuthOptions
{
    /// <summary>Accepted relay keys. Empty: the relay is open.</summary>
    public List<RelayKeyOptions> Keys { get; set; } = [];

    /// <summary>Environment variable holding the admin key.</summary>
    public string AdminKeyEnv { get; set; } = "AKKAPROXY_ADMIN_KEY";

    /// <summary>Browser origins allowed to open WebSockets.</summary>
    public List<string> AllowedOrigins { get; set; } = [];
}

/// <summary>One relay key.</summary>
internal sealed class RelayKeyOptions
{
    /// <summary>The id billing records carry (never the key itself); the key of its configuration entry.</summary>
    public string Id { get; set; } = "";

    /// <summary>Environment variable holding the key.</summary>
    public string? KeyEnv { get; set; }

    /// <summary>The key in clear text (tests and embedders).</summary>
    public string? Key { get; set; }

    /// <summary>The key's SHA-256, hex, for configuration files that must not hold the key.</summary>
    public string? KeySha256 { get; set; }

    /// <summary>Providers this key may use, by name; empty: all.</summary>
    public List<string> AllowedProviders { get; set; } = [];

    /// <summary>
    /// Models this key may use; empty: all. Each entry is a pattern (<c>*</c> is a wildcard, matched case-sensitively as routing and pricing match),
    /// matched against the model as the client named it, as the provider receives it, and as
    /// <c>provider/upstream-model</c>: <c>gpt-4o*</c> allows <c>openai/gpt-4o</c> and <c>gpt-4o-mini</c>.
    /// </summary>
    public List<string> AllowedModels { get; set; } = [];

    /// <summary>Most requests (and WebSocket turns) per minute; unset: no limit.</summary>
    public int? RequestsPerMinute { get; set; }

    /// <summary>Most tokens (input and output, as billed) per minute; unset: no limit.</summary>
    public long? TokensPerMinute { get; set; }

    /// <summary>Most spend, in the pricing table's currency (USD), per <see cref="BudgetPeriod"/>; unset: no budget.</summary>
    public decimal? Budget { get; set; }

    /// <summary>The calendar period (UTC) the budget is for.</summary>
    public BudgetPeriod BudgetPeriod { get; set; } = BudgetPeriod.Month;

    /// <summary>What is wrong with this key's limits, each with its path; <paramref name="providers"/> are the configured providers' names.</summary>
    internal IEnumerable<string> Problems(IReadOnlyCollection<string> providers)
    {
        string path = $"akkaproxy.auth.keys.{Id}";
        if (RequestsPerMinute is < 1)
        {
            yield return $"{path}.requests-per-minute = {RequestsPerMinute} must be at least 1 (leave it unset for no limit).";
        }

        if (TokensPerMinute is < 1)
        {
            yield return $"{path}.tokens-per-minute = {TokensPerMinute} must be at least 1 (leave it unset for no limit).";
        }

        if (Budget is < 0)
        {
            yield return $"{path}.budget = {Budget} must not be negative.";
        }

        foreach (string provider in AllowedProviders.Where(p => !providers.Contains(p, StringComparer.OrdinalIgnoreCase)))
        {
            yield return $"{path}.allowed-providers names '{provider}', which is not a configured provider ({string.Join(", ", providers)}).";
        }
    }

    /// <summary>Whether this key has any limit at all (a key without one costs the data path nothing).</summary>
    internal bool HasLimits =>
        AllowedProviders.Count > 0 || AllowedModels.Count > 0 || RequestsPerMinute is not null || TokensPerMinute is not null || Budget is not null;
}
