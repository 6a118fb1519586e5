using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Billing;

/// <summary>
/// Prices by model. Keys are matched against <c>provider/model</c> first, then the bare upstream
/// model, and may hold <c>*</c> wildcards; an exact key wins over a pattern, a longer pattern over a
/// shorter one. Immutable and thread-safe.
/// </summary>
public sealed class PricingTable
{
    private const decimal PerMillion = 1_000_000m;
    private readonly KeyValuePair<string, ModelPrice>[] _entries;

    /// <summary>Builds the table.</summary>
    public PricingTable(IReadOnlyDictionary<string, ModelPrice> prices)
    {
        foreach ((string key, ModelPrice price) in prices)
        {
            if (price.Input < 0 || price.Output < 0 || price.CachedInput < 0 || price.CacheWrite < 0)
            {
                throw new ArgumentException($"Price for '{key}' has a negative value.");
            }
        }

        _entries = prices.OrderByDescending(p => WildcardPattern.Specificity(p.Key)).ToArray();
    }

    /// <summary>An empty table: every cost is null.</summary>
    public static PricingTable Empty { get; } = new(new Dictionary<string, ModelPrice>());

    /// <summary>Finds the price of <paramref name="model"/> at <paramref name="provider"/>.</summary>
    public ModelPrice? Find(string provider, string model)
    {
        string qualified = $"{provider}/{model}";
        foreach ((string key, ModelPrice price) in _entries)
        {
            if (WildcardPattern.IsMatch(key, qualified) || WildcardPattern.IsMatch(key, model))
            {
                return price;
            }
        }

        return null;
    }

    /// <summary>The cost of <paramref name="usage"/>, or null when the model has no price.</summary>
    public decimal? Cost(string provider, string model, TokenUsage usage) =>
        Find(provider, model) is { } price ? Cost(price, usage) : null;

    /// <summary>
    /// Uncached input + cached input + cache writes + output, each at its price per million.
    /// Reasoning tokens are part of output and are not priced again.
    /// </summary>
    public static decimal Cost(ModelPrice price, TokenUsage usage) =>
        (usage.UncachedInputTokens * price.Input
         + usage.CachedInputTokens * (price.CachedInput ?? price.Input)
         + usage.CacheWriteTokens * (price.CacheWrite ?? price.Input)
         + usage.OutputTokens * price.Output) / PerMillion;
}
