using AkkaProxy.Pipeline;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Routing;
using Microsoft.Extensions.Configuration;

namespace AkkaProxy.Host.Configuration;

/// <summary>Reads the <c>akkaproxy</c> configuration section into the library's options, failing at start-up with the key to fix.</summary>
public static class RelayConfiguration
{
    /// <summary>The root section name.</summary>
    public const string Root = "akkaproxy";

    /// <summary>Binds the pipeline limits.</summary>
    public static void BindPipeline(IConfiguration config, ProxyStreamOptions options) =>
        config.GetSection($"{Root}:pipeline").Bind(options);

    /// <summary>Reads providers, the model map and the default provider.</summary>
    public static RoutingOptions ReadRouting(IConfiguration config)
    {
        IConfigurationSection routing = config.GetSection($"{Root}:routing");
        var options = new RoutingOptions { DefaultProvider = routing["defaultprovider"] };
        foreach (IConfigurationSection entry in routing.GetSection("modelmap").GetChildren())
        {
            options.ModelMap[entry.Key] = entry.Value ?? "";
        }

        foreach (IConfigurationSection section in routing.GetSection("providers").GetChildren())
        {
            var provider = new ProviderOptions
            {
                Name = section["name"] ?? throw new InvalidOperationException($"{section.Path} has no 'name'."),
                Kind = ParseKind(section["kind"], section.Path),
                BaseUrl = section["baseurl"] ?? throw new InvalidOperationException($"{section.Path} has no 'base-url'."),
                ApiKeyEnv = section["apikeyenv"],
                ApiKey = section["apikey"],
                AcceptsStreamOptions = !bool.TryParse(section["acceptsstreamoptions"], out bool accepts) || accepts,
            };
            foreach (IConfigurationSection header in section.GetSection("headers").GetChildren())
            {
                provider.Headers[header.Key] = header.Value ?? "";
            }

            provider.Models.AddRange(section.GetSection("models").GetChildren().Select(m => m.Value).OfType<string>().Where(m => m.Length > 0));
            options.Providers.Add(provider);
        }

        return options;
    }

    /// <summary>Reads the pricing table.</summary>
    public static PricingTable ReadPricing(IConfiguration config)
    {
        var prices = new Dictionary<string, ModelPrice>(StringComparer.Ordinal);
        foreach (IConfigurationSection entry in config.GetSection($"{Root}:pricing").GetChildren())
        {
            var price = new ModelPrice();
            entry.Bind(price);
            prices[entry.Key] = price;
        }

        return new PricingTable(prices);
    }

    /// <summary>Reads relay keys and the admin key's variable.</summary>
    public static RelayAuthOptions ReadAuth(IConfiguration config)
    {
        var auth = new RelayAuthOptions();
        config.GetSection($"{Root}:auth").Bind(auth);
        auth.Keys.RemoveAll(k => string.IsNullOrEmpty(k.Id) && string.IsNullOrEmpty(k.Key) && string.IsNullOrEmpty(k.KeyEnv) && string.IsNullOrEmpty(k.KeySha256));
        auth.AllowedOrigins.RemoveAll(string.IsNullOrWhiteSpace);
        return auth;
    }

    /// <summary>Reads the billing queue settings.</summary>
    public static BillingOptions ReadBilling(IConfiguration config)
    {
        var billing = new BillingOptions();
        config.GetSection($"{Root}:billing").Bind(billing);
        return billing;
    }

    private static ProviderKind ParseKind(string? kind, string path) => kind?.ToLowerInvariant() switch
    {
        "openai" => ProviderKind.OpenAI,
        "openai-compatible" or "openaicompatible" => ProviderKind.OpenAICompatible,
        "anthropic" => ProviderKind.Anthropic,
        _ => throw new InvalidOperationException($"{path}:kind is '{kind}'; use openai, openai-compatible or anthropic."),
    };
}
