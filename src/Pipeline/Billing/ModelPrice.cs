namespace AkkaProxy.Pipeline.Billing;

/// <summary>Prices in USD per million tokens.</summary>
public sealed class ModelPrice
{
    /// <summary>Uncached input.</summary>
    public decimal Input { get; set; }

    /// <summary>Input read from the cache; when unset, <see cref="Input"/> applies.</summary>
    public decimal? CachedInput { get; set; }

    /// <summary>Input written to the cache; when unset, <see cref="Input"/> applies.</summary>
    public decimal? CacheWrite { get; set; }

    /// <summary>Output, reasoning included.</summary>
    public decimal Output { get; set; }
}
