namespace AkkaProxy.Pipeline.Routing;

/// <summary>Providers and how unprefixed models find one.</summary>
public sealed class RoutingOptions
{
    /// <summary>The providers, by name.</summary>
    public List<ProviderOptions> Providers { get; set; } = [];

    /// <summary>
    /// Unprefixed model → provider name. Keys may hold <c>*</c> wildcards (<c>gpt-*</c>, <c>claude-*</c>).
    /// An exact key wins over a pattern; among patterns the longest wins.
    /// </summary>
    public Dictionary<string, string> ModelMap { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Provider for an unprefixed model that no map entry matches. Empty: such models are refused.</summary>
    public string? DefaultProvider { get; set; }
}
