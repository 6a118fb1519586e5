namespace AkkaProxy.Pipeline.Routing;

/// <summary>
/// Resolves a model name to a provider: <c>provider/model</c> by prefix (everything after the first
/// slash goes upstream), otherwise the model map (exact keys, then the most specific wildcard),
/// otherwise the default provider. A name whose part before the first slash is not a provider goes
/// to the default provider only when it accepts such names (<see cref="Provider.AcceptsSlashModels"/>).
/// </summary>
/// <remarks>Immutable and thread-safe; built once.</remarks>
public sealed class ModelRouter
{
    private readonly Dictionary<string, Provider> _providers;
    private readonly KeyValuePair<string, Provider>[] _map;
    private readonly Provider? _default;

    /// <summary>Builds the router; throws when the configuration names a provider that does not exist.</summary>
    public ModelRouter(RoutingOptions options, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        _providers = new Dictionary<string, Provider>(StringComparer.Ordinal);
        foreach (ProviderOptions provider in options.Providers)
        {
            if (!_providers.TryAdd(provider.Name, new Provider(provider, environment)))
            {
                throw new ArgumentException($"Provider '{provider.Name}' is configured twice.");
            }
        }

        _map = options.ModelMap
            .Select(entry => new KeyValuePair<string, Provider>(entry.Key, Find(entry.Value, $"model map entry '{entry.Key}'")))
            .OrderByDescending(entry => WildcardPattern.Specificity(entry.Key))
            .ToArray();
        _default = string.IsNullOrWhiteSpace(options.DefaultProvider) ? null : Find(options.DefaultProvider, "default provider");
    }

    /// <summary>All providers, by name.</summary>
    public IReadOnlyCollection<Provider> Providers => _providers.Values;

    /// <summary>The model map's entries, most specific first.</summary>
    public IEnumerable<KeyValuePair<string, Provider>> ModelMap => _map;

    /// <summary>Finds a provider by name.</summary>
    public bool TryGetProvider(string name, out Provider provider) => _providers.TryGetValue(name, out provider!);

    /// <summary>Resolves <paramref name="model"/>; on failure <paramref name="error"/> says why, naming the providers.</summary>
    public bool TryResolve(string? model, out ProviderRoute route, out string error)
    {
        route = null!;
        if (string.IsNullOrWhiteSpace(model))
        {
            error = "The request has no 'model'. Send a model such as 'openai/gpt-4o'.";
            return false;
        }

        int slash = model.IndexOf('/');
        if (slash > 0 && _providers.TryGetValue(model[..slash], out Provider? prefixed))
        {
            string upstream = model[(slash + 1)..];
            if (upstream.Length == 0)
            {
                error = $"The model '{model}' names provider '{prefixed.Name}' but no model after the '/'.";
                return false;
            }

            route = new ProviderRoute(prefixed, model, upstream);
            error = "";
            return true;
        }

        foreach (KeyValuePair<string, Provider> entry in _map)
        {
            if (WildcardPattern.IsMatch(entry.Key, model))
            {
                route = new ProviderRoute(entry.Value, model, model);
                error = "";
                return true;
            }
        }

        if (_default is not null && (slash < 0 || _default.AcceptsSlashModels))
        {
            route = new ProviderRoute(_default, model, model);
            error = "";
            return true;
        }

        error = slash > 0
            ? $"The model '{model}' starts with '{model[..slash]}/', which is not a configured provider. Configured providers: {ProviderList()}."
            : $"The model '{model}' does not route to any provider. Prefix it with a provider name ({ProviderList()}) or add it to the model map.";
        return false;
    }

    private string ProviderList() => string.Join(", ", _providers.Keys.Order(StringComparer.Ordinal).Select(p => $"'{p}/'"));

    private Provider Find(string name, string what) =>
        _providers.TryGetValue(name, out Provider? provider)
            ? provider
            : throw new ArgumentException($"The {what} names provider '{name}', which is not configured. Configured: {string.Join(", ", _providers.Keys)}.");
}
