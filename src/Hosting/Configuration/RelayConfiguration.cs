using AkkaProxy.Hosting.Ledger;
using AkkaProxy.Pipeline;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Transport;
using Microsoft.Extensions.Configuration;

namespace AkkaProxy.Hosting.Configuration;

/// <summary>Reads the <c>akkaproxy</c> configuration section into the library's options, failing at start-up with the key to fix.</summary>
internal static class RelayConfiguration
{
    /// <summary>The root section name.</summary>
    public const string Root = "akkaproxy";

    /// <summary>The section handed to the actor system as its configuration (Akka's own keys, <c>akka.loglevel</c>, ...).</summary>
    public const string AkkaRoot = "akka";

    /// <summary>Binds the pipeline limits.</summary>
    public static void BindPipeline(IConfiguration config, ProxyStreamOptions options) =>
        KebabBinder.Bind(config.GetSection($"{Root}:pipeline"), options);

    /// <summary>Reads providers, the model map and the default provider; a provider with <c>enabled = false</c> is left out with its model-map entries.</summary>
    public static RoutingOptions ReadRouting(IConfiguration config)
    {
        IConfigurationSection routing = config.GetSection($"{Root}:routing");
        var options = new RoutingOptions { DefaultProvider = routing["default-provider"] };
        foreach (IConfigurationSection entry in routing.GetSection("model-map").GetChildren())
        {
            options.ModelMap[entry.Key] = entry.Value ?? "";
        }

        List<string>? errors = null;
        foreach (IConfigurationSection section in routing.GetSection("providers").GetChildren())
        {
            if (bool.TryParse(section["enabled"], out bool enabled) && !enabled)
            {
                // A provider switched off takes its model-map entries with it (the host's "gemini-*" = gemini,
                // say): its models are then unknown, as with no such provider, rather than a start-up error.
                foreach (string pattern in options.ModelMap.Where(m => m.Value == section.Key).Select(m => m.Key).ToList())
                {
                    options.ModelMap.Remove(pattern);
                }

                continue;
            }

            ProviderKind kind;
            UpstreamTransport transport;
            try
            {
                kind = ParseKind(section["kind"], section.Path);
                transport = ParseTransport(section["transport"], section.Path);
            }
            catch (InvalidOperationException ex)
            {
                (errors ??= []).Add(ex.Message);
                continue;
            }

            if (section["base-url"] is null)
            {
                (errors ??= []).Add($"{section.Path} has no 'base-url'.");
                continue;
            }

            var provider = new ProviderOptions
            {
                Name = section.Key,
                Kind = kind,
                BaseUrl = section["base-url"]!,
                ApiKeyEnv = section["api-key-env"],
                ApiKey = section["api-key"],
                AcceptsStreamOptions = !bool.TryParse(section["accepts-stream-options"], out bool accepts) || accepts,
                AcceptsSlashModels = bool.TryParse(section["accepts-slash-models"], out bool slashes) ? slashes : null,
                Transport = transport,
                ApiVersion = section["api-version"],
                Region = section["region"],
                AccessKeyIdEnv = section["access-key-id-env"],
                SecretAccessKeyEnv = section["secret-access-key-env"],
                SessionTokenEnv = section["session-token-env"],
            };
            foreach (IConfigurationSection header in section.GetSection("headers").GetChildren())
            {
                provider.Headers[header.Key] = header.Value ?? "";
            }

            provider.Models.AddRange(section.GetSection("models").GetChildren().Select(m => m.Value).OfType<string>().Where(m => m.Length > 0));
            options.Providers.Add(provider);
        }

        return errors is null ? options : throw new InvalidOperationException(string.Join('\n', errors));
    }

    /// <summary>Reads the pricing table.</summary>
    public static PricingTable ReadPricing(IConfiguration config)
    {
        var prices = new Dictionary<string, ModelPrice>(StringComparer.Ordinal);
        foreach (IConfigurationSection entry in config.GetSection($"{Root}:pricing").GetChildren())
        {
            prices[entry.Key] = KebabBinder.Bind(entry, new ModelPrice());
        }

        return new PricingTable(prices);
    }

    /// <summary>Reads relay keys and the admin key's variable.</summary>
    public static RelayAuthOptions ReadAuth(IConfiguration config)
    {
        IConfigurationSection section = config.GetSection($"{Root}:auth");
        var auth = KebabBinder.Bind(section, new RelayAuthOptions());
        auth.Keys.AddRange(section.GetSection("keys").GetChildren().Select(key =>
        {
            RelayKeyOptions options = KebabBinder.Bind(key, new RelayKeyOptions { Id = key.Key });
            options.AllowedProviders.AddRange(Strings(key.GetSection("allowed-providers")));
            options.AllowedModels.AddRange(Strings(key.GetSection("allowed-models")));
            return options;
        }));
        auth.AllowedOrigins.AddRange(Strings(section.GetSection("allowed-origins")));
        return auth;
    }

    private static IEnumerable<string> Strings(IConfigurationSection list) =>
        list.GetChildren().Select(o => o.Value).OfType<string>().Where(o => o.Length > 0);

    /// <summary>Reads the billing queue settings.</summary>
    public static BillingOptions ReadBilling(IConfiguration config)
    {
        return KebabBinder.Bind(config.GetSection($"{Root}:billing"), new BillingOptions());
    }

    /// <summary>Reads the metric exporters' settings.</summary>
    public static AkkaProxy.Hosting.Observability.ObservabilityOptions ReadObservability(IConfiguration config) =>
        KebabBinder.Bind(config.GetSection($"{Root}:observability"), new AkkaProxy.Hosting.Observability.ObservabilityOptions());

    /// <summary>Reads how the relay stops (its drain).</summary>
    public static AkkaProxy.Hosting.Lifecycle.ShutdownOptions ReadShutdown(IConfiguration config) =>
        KebabBinder.Bind(config.GetSection($"{Root}:shutdown"), new AkkaProxy.Hosting.Lifecycle.ShutdownOptions());

    /// <summary>Reads the cluster's settings (<c>akkaproxy.cluster</c>).</summary>
    public static AkkaProxy.Hosting.Cluster.RelayClusterOptions ReadCluster(IConfiguration config)
    {
        IConfigurationSection section = config.GetSection($"{Root}:cluster");
        var options = KebabBinder.Bind(section, new AkkaProxy.Hosting.Cluster.RelayClusterOptions());
        // As the binder reads names: PascalCase first (AKKAPROXY__CLUSTER__SEEDNODES__0), then kebab-case.
        IConfigurationSection seeds = section.GetSection("SeedNodes").Exists() ? section.GetSection("SeedNodes") : section.GetSection("seed-nodes");
        options.SeedNodes.AddRange(Strings(seeds));
        return options;
    }

    /// <summary>Reads the usage ledger's settings.</summary>
    public static LedgerOptions ReadLedger(IConfiguration config) =>
        KebabBinder.Bind(config.GetSection($"{Root}:ledger"), new LedgerOptions());

    /// <summary>Reads Responses WebSocket mode's limits.</summary>
    public static WebSocketRelayOptions ReadWebSocket(IConfiguration config) =>
        KebabBinder.Bind(config.GetSection($"{Root}:websocket"), new WebSocketRelayOptions());

    /// <summary>Reads the upstream socket pools' settings (providers with <c>transport = websocket</c>).</summary>
    public static AkkaProxy.Pipeline.Pooling.UpstreamSocketPoolOptions ReadUpstreamSockets(IConfiguration config) =>
        KebabBinder.Bind(config.GetSection($"{Root}:upstream-websocket"), new AkkaProxy.Pipeline.Pooling.UpstreamSocketPoolOptions());

    private static UpstreamTransport ParseTransport(string? transport, string path) => transport?.ToLowerInvariant() switch
    {
        null or "" or "http" => UpstreamTransport.Http,
        "websocket" => UpstreamTransport.WebSocket,
        _ => throw new InvalidOperationException($"{path}:transport is '{transport}'; use http or websocket."),
    };

    private static ProviderKind ParseKind(string? kind, string path) => kind?.ToLowerInvariant() switch
    {
        "openai" => ProviderKind.OpenAI,
        "openai-compatible" or "openaicompatible" => ProviderKind.OpenAICompatible,
        "anthropic" => ProviderKind.Anthropic,
        "azure-openai" or "azureopenai" => ProviderKind.AzureOpenAI,
        "gemini" => ProviderKind.Gemini,
        "bedrock" => ProviderKind.Bedrock,
        _ => throw new InvalidOperationException($"{path}:kind is '{kind}'; use openai, openai-compatible, anthropic, azure-openai, gemini or bedrock."),
    };
}
