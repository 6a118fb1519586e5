using AkkaProxy.Hosting.Configuration;
using AkkaProxy.Pipeline;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Routing;
using Microsoft.Extensions.Configuration;

namespace AkkaProxy.Host.Tests.Configuration;

/// <summary>hocon/reference.conf against the options classes, and layering.</summary>
public sealed class ReferenceConfigurationTests
{
    private static IConfiguration Reference(string? overrides = null)
    {
        IConfigurationBuilder builder = new ConfigurationBuilder().AddEmbeddedReferenceHocon();
        if (overrides is not null)
        {
            builder.AddHoconText(overrides);
        }

        return builder.Build();
    }

    [Fact]
    public void PipelineSection_RepeatsEveryDefaultOfProxyStreamOptions()
    {
        var bound = new ProxyStreamOptions
        {
            MaxEventBytes = -1, MaxRequestBodyBytes = -1, IdleTimeout = TimeSpan.Zero,
            UpstreamResponseTimeout = TimeSpan.Zero, ConnectTimeout = TimeSpan.Zero, ReadBufferBytes = -1,
        };
        RelayConfiguration.BindPipeline(Reference(), bound);
        var defaults = new ProxyStreamOptions();

        foreach (var property in typeof(ProxyStreamOptions).GetProperties())
        {
            Assert.True(Equals(property.GetValue(defaults), property.GetValue(bound)), $"reference.conf disagrees with ProxyStreamOptions.{property.Name}: {property.GetValue(bound)} vs {property.GetValue(defaults)}");
        }
    }

    [Fact]
    public void WebSocketSection_RepeatsEveryDefaultOfWebSocketRelayOptions()
    {
        var bound = RelayConfiguration.ReadWebSocket(Reference());
        var defaults = new AkkaProxy.Pipeline.Transport.WebSocketRelayOptions();

        foreach (var property in typeof(AkkaProxy.Pipeline.Transport.WebSocketRelayOptions).GetProperties())
        {
            Assert.True(Equals(property.GetValue(defaults), property.GetValue(bound)), $"reference.conf disagrees with WebSocketRelayOptions.{property.Name}");
        }

        Assert.Equal(11, typeof(AkkaProxy.Pipeline.Transport.WebSocketRelayOptions).GetProperties().Length);
    }

    [Fact]
    public void UpstreamSocketsSection_RepeatsEveryDefaultOfUpstreamSocketPoolOptions()
    {
        var bound = RelayConfiguration.ReadUpstreamSockets(Reference());
        var defaults = new AkkaProxy.Pipeline.Pooling.UpstreamSocketPoolOptions();

        foreach (var property in typeof(AkkaProxy.Pipeline.Pooling.UpstreamSocketPoolOptions).GetProperties())
        {
            Assert.True(Equals(property.GetValue(defaults), property.GetValue(bound)), $"reference.conf disagrees with UpstreamSocketPoolOptions.{property.Name}");
        }

        Assert.Equal(7, typeof(AkkaProxy.Pipeline.Pooling.UpstreamSocketPoolOptions).GetProperties().Length);
        Assert.Equal(UpstreamTransport.Http, RelayConfiguration.ReadRouting(Reference()).Providers.Single(p => p.Name == "openai").Transport);
    }

    [Fact]
    public void LedgerSection_RepeatsEveryDefaultOfLedgerOptions()
    {
        string? dataDirectory = Environment.GetEnvironmentVariable("AKKAPROXY_DATA_DIR");
        var bound = RelayConfiguration.ReadLedger(Reference());
        var defaults = new AkkaProxy.Hosting.Ledger.LedgerOptions();

        foreach (var property in typeof(AkkaProxy.Hosting.Ledger.LedgerOptions).GetProperties())
        {
            object? expected = property.Name == nameof(defaults.DataDirectory) && dataDirectory is not null ? dataDirectory : property.GetValue(defaults);
            Assert.True(Equals(expected, property.GetValue(bound)), $"reference.conf disagrees with LedgerOptions.{property.Name}");
        }

        Assert.Equal(10, typeof(AkkaProxy.Hosting.Ledger.LedgerOptions).GetProperties().Length);
    }

    [Fact]
    public void ObservabilitySection_RepeatsEveryDefaultOfObservabilityOptions()
    {
        var bound = RelayConfiguration.ReadObservability(Reference());
        var defaults = new AkkaProxy.Hosting.Observability.ObservabilityOptions();

        foreach (var property in typeof(AkkaProxy.Hosting.Observability.ObservabilityOptions).GetProperties())
        {
            Assert.True(Equals(property.GetValue(defaults), property.GetValue(bound)), $"reference.conf disagrees with ObservabilityOptions.{property.Name}");
        }

        Assert.Equal(3, typeof(AkkaProxy.Hosting.Observability.ObservabilityOptions).GetProperties().Length);
    }

    [Fact]
    public void ShutdownSection_RepeatsTheDrainTimeoutDefault()
    {
        Assert.Equal(new AkkaProxy.Hosting.Lifecycle.ShutdownOptions().DrainTimeout, RelayConfiguration.ReadShutdown(Reference()).DrainTimeout);
        Assert.Single(typeof(AkkaProxy.Hosting.Lifecycle.ShutdownOptions).GetProperties());
    }

    [Fact]
    public void BillingAndAuthSections_RepeatTheirDefaults()
    {
        IConfiguration config = Reference();
        var billing = RelayConfiguration.ReadBilling(config);
        Assert.Equal(new BillingOptions().QueueCapacity, billing.QueueCapacity);
        Assert.Equal(new BillingOptions().RecentRecords, billing.RecentRecords);
        Assert.Equal(new BillingOptions().LiveBuffer, billing.LiveBuffer);
        Assert.Equal(new BillingOptions().LiveHeartbeat, billing.LiveHeartbeat);
        Assert.Equal(4, typeof(BillingOptions).GetProperties().Length);
        var auth = RelayConfiguration.ReadAuth(config);
        Assert.Equal(new RelayAuthOptions().AdminKeyEnv, auth.AdminKeyEnv);
        Assert.Empty(auth.Keys);
    }

    [Fact]
    public void DefaultProviders_BuildAndRoute()
    {
        var router = new ModelRouter(RelayConfiguration.ReadRouting(Reference()), _ => null);

        Assert.True(router.TryResolve("gpt-4o", out ProviderRoute route, out _));
        Assert.Equal("openai", route.Provider.Name);
        Assert.Equal(new Uri("https://api.openai.com/v1/chat/completions"), route.Provider.BuildUri("/v1/chat/completions"));
        Assert.True(router.TryResolve("claude-sonnet-4-5", out route, out _));
        Assert.Equal(ProviderKind.Anthropic, route.Provider.Kind);
        Assert.True(router.TryResolve("ollama/llama3.1:8b", out route, out _));
        Assert.Equal("llama3.1:8b", route.UpstreamModel);
        Assert.EndsWith("11434/v1/chat/completions", route.Provider.BuildUri("/v1/chat/completions").AbsoluteUri, StringComparison.Ordinal);
        Assert.True(router.TryResolve("gemini-2.5-flash", out route, out _));
        Assert.Equal(ProviderKind.Gemini, route.Provider.Kind);
        Assert.Equal("GEMINI_API_KEY", route.Provider.ApiKeyEnv);
        Assert.Equal("https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
            AkkaProxy.Pipeline.Transport.UpstreamUris.For(route.Provider, AkkaProxy.Pipeline.Usage.ApiKind.GeminiGenerateContent, route.UpstreamModel, "?alt=sse&key=relay-key", streaming: true).AbsoluteUri);
        Assert.True(router.TryResolve("anthropic.claude-3-5-haiku-20241022-v1:0", out route, out _));
        Assert.Equal(ProviderKind.Bedrock, route.Provider.Kind);
        Assert.Equal("us-east-1", route.Provider.Region);
        Assert.True(route.Provider.IsMissingKey); // no AWS credentials nor Bedrock API key in this environment
        Assert.Equal("https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/converse-stream",
            AkkaProxy.Pipeline.Transport.UpstreamUris.For(route.Provider, AkkaProxy.Pipeline.Usage.ApiKind.BedrockConverse, route.UpstreamModel, null, streaming: true).AbsoluteUri);
        Assert.True(router.TryResolve("us.amazon.nova-pro-v1:0", out route, out _));
        Assert.Equal("bedrock", route.Provider.Name);
    }

    [Fact]
    public void ADefaultProviderSwitchedOff_TakesItsModelMapEntriesWithIt()
    {
        IConfiguration config = Reference("akkaproxy.routing.providers.gemini.enabled = false");
        var router = new ModelRouter(RelayConfiguration.ReadRouting(config), _ => null); // no error for "gemini-*" = gemini

        Assert.False(router.TryGetProvider("gemini", out _));
        Assert.False(router.TryResolve("gemini-2.5-flash", out _, out string error));
        Assert.False(string.IsNullOrEmpty(error));
        Assert.True(router.TryResolve("gpt-4o", out _, out _)); // the other entries stay
    }

    [Fact]
    public void AUserFile_AddsAProviderWithoutInheritingAnotherOnesKeys()
    {
        IConfiguration config = Reference("""akkaproxy.routing.providers { vllm { kind = openai-compatible, base-url = "http://10.0.0.5:8000" } }""");

        var router = new ModelRouter(RelayConfiguration.ReadRouting(config), _ => null);

        Assert.True(router.TryGetProvider("vllm", out Provider vllm));
        Assert.Null(vllm.ApiKeyEnv);
        Assert.False(vllm.IsMissingKey);
        Assert.True(router.TryGetProvider("openai", out _));
    }

    [Fact]
    public void ExampleFile_ParsesAndBuilds()
    {
        string example = File.ReadAllText(Path.Combine(AkkaProxy.Host.Tests.TestKit.RepoPaths.Root, "hocon", "akkaproxy.example.conf"));
        IConfiguration config = Reference(example);

        var router = new ModelRouter(RelayConfiguration.ReadRouting(config), name => name + "-value");
        var auth = RelayConfiguration.ReadAuth(config);

        Assert.False(router.TryGetProvider("ollama", out _));
        Assert.True(router.TryResolve("llama-3", out ProviderRoute route, out _));
        Assert.Equal("vllm", route.Provider.Name);
        Assert.True(router.TryGetProvider("openrouter", out Provider openrouter));
        Assert.Equal("AkkaProxy", openrouter.Headers["X-Title"]);
        Assert.Equal("team-a", Assert.Single(auth.Keys).Id);
        Assert.Equal(0m, RelayConfiguration.ReadPricing(config).Cost("vllm", "x", new AkkaProxy.Pipeline.Usage.TokenUsage { InputTokens = 5, Status = AkkaProxy.Pipeline.Usage.UsageStatus.Reported }));
    }

    [Fact]
    public void Pricing_ReadsKebabKeysAndWildcards()
    {
        PricingTable pricing = RelayConfiguration.ReadPricing(Reference());

        ModelPrice? sonnet = pricing.Find("anthropic", "claude-sonnet-4-5-20250929");
        Assert.NotNull(sonnet);
        Assert.Equal(3.75m, sonnet.CacheWrite);
        Assert.Equal(0.30m, sonnet.CachedInput);
        Assert.Null(pricing.Find("ollama", "llama3"));
    }

    [Fact]
    public void PascalCaseOverride_WinsOverTheKebabKey()
    {
        IConfiguration config = new ConfigurationBuilder()
            .AddEmbeddedReferenceHocon()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["akkaproxy:pipeline:IdleTimeout"] = "00:00:42" })
            .Build();
        var options = new ProxyStreamOptions();

        RelayConfiguration.BindPipeline(config, options);

        Assert.Equal(TimeSpan.FromSeconds(42), options.IdleTimeout);
    }

    [Fact]
    public void AkkaSection_IsAkkasOwn_AndAkkaReadsItAsWritten()
    {
        // Not an options class of ours: the section is handed to the actor system (Akka.Hosting's adapter).
        Akka.Configuration.Config akka = Akka.Hosting.Configuration.ConfigurationHoconAdapter.ToHocon(Reference().GetSection(RelayConfiguration.AkkaRoot));

        Assert.Equal("INFO", akka.GetString("akka.loglevel"));
        Assert.Equal(TimeSpan.FromSeconds(30), akka.GetTimeSpan("akka.coordinated-shutdown.phases.before-actor-system-terminate.timeout"));
    }

    [Fact]
    public void AkkaSection_TakesEnvironmentVariablesInTheirShape()
    {
        // AKKA__LOGLEVEL=DEBUG and AKKA__ACTOR__ASK_TIMEOUT=9s, as the environment provider hands them over.
        IConfiguration config = new ConfigurationBuilder()
            .AddEmbeddedReferenceHocon()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["AKKA:LOGLEVEL"] = "DEBUG", ["AKKA:ACTOR:ASK_TIMEOUT"] = "9s" })
            .Build();

        Akka.Configuration.Config akka = Akka.Hosting.Configuration.ConfigurationHoconAdapter.ToHocon(config.GetSection(RelayConfiguration.AkkaRoot));

        Assert.Equal("DEBUG", akka.GetString("akka.loglevel"));
        Assert.Equal(TimeSpan.FromSeconds(9), akka.GetTimeSpan("akka.actor.ask-timeout"));
    }
}
