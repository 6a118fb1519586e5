using AkkaProxy.Pipeline.Routing;

namespace AkkaProxy.Pipeline.Tests.Routing;

public sealed class ModelRouterTests
{
    private static ModelRouter Router(string? defaultProvider = null) => new(new RoutingOptions
    {
        Providers =
        {
            new ProviderOptions { Name = "openai", Kind = ProviderKind.OpenAI, BaseUrl = "https://api.openai.com/v1" },
            new ProviderOptions { Name = "openrouter", BaseUrl = "https://openrouter.ai/api/v1/" },
            new ProviderOptions { Name = "anthropic", Kind = ProviderKind.Anthropic, BaseUrl = "https://api.anthropic.com" },
        },
        ModelMap = { ["gpt-*"] = "openai", ["gpt-4o-special"] = "openrouter", ["gpt-4o-*"] = "openrouter", ["claude-*"] = "anthropic" },
        DefaultProvider = defaultProvider,
    });

    [Theory]
    [InlineData("openai/gpt-4o", "openai", "gpt-4o")]
    [InlineData("openrouter/meta-llama/llama-3.1-8b", "openrouter", "meta-llama/llama-3.1-8b")]
    [InlineData("gpt-4.1", "openai", "gpt-4.1")]
    [InlineData("gpt-4o-mini", "openrouter", "gpt-4o-mini")]
    [InlineData("gpt-4o-special", "openrouter", "gpt-4o-special")]
    [InlineData("claude-sonnet-4", "anthropic", "claude-sonnet-4")]
    [InlineData("llama-3.1-8b", "openai", "llama-3.1-8b")]
    public void Resolves_PrefixThenMostSpecificMapEntryThenDefault(string model, string provider, string upstream)
    {
        Assert.True(Router(defaultProvider: "openai").TryResolve(model, out ProviderRoute route, out string error), error);

        Assert.Equal(provider, route.Provider.Name);
        Assert.Equal(upstream, route.UpstreamModel);
        Assert.Equal(model, route.RequestedModel);
    }

    [Theory]
    [InlineData("mistral-large")]
    [InlineData("nowhere/gpt-4o")]
    public void NoMatch_SaysWhichModelAndListsTheProviders(string model)
    {
        Assert.False(Router().TryResolve(model, out _, out string error));

        Assert.Contains($"'{model}'", error, StringComparison.Ordinal);
        Assert.Contains("'anthropic/', 'openai/', 'openrouter/'", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    public void AMistypedPrefix_NeverGoesToAnOpenAIOrAnthropicDefault(string defaultProvider)
    {
        Assert.False(Router(defaultProvider).TryResolve("antrhopic/claude-x", out _, out string error));

        Assert.Contains("'antrhopic/'", error, StringComparison.Ordinal);
        Assert.Contains("'anthropic/', 'openai/', 'openrouter/'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ASlashModel_GoesToAnOpenAICompatibleDefault_OpenRouterStyle()
    {
        Assert.True(Router("openrouter").TryResolve("meta-llama/llama-3.1-8b", out ProviderRoute route, out string error), error);

        Assert.Equal("openrouter", route.Provider.Name);
        Assert.Equal("meta-llama/llama-3.1-8b", route.UpstreamModel);
    }

    [Theory]
    [InlineData(ProviderKind.OpenAI, true, true)]
    [InlineData(ProviderKind.OpenAICompatible, false, false)]
    [InlineData(ProviderKind.OpenAICompatible, null, true)]
    [InlineData(ProviderKind.OpenAI, null, false)]
    [InlineData(ProviderKind.Anthropic, null, false)]
    public void AcceptsSlashModels_IsAPerProviderSetting_WithADefaultByKind(ProviderKind kind, bool? setting, bool routes)
    {
        var router = new ModelRouter(new RoutingOptions
        {
            Providers = { new ProviderOptions { Name = "p", Kind = kind, BaseUrl = "https://example.test/v1", AcceptsSlashModels = setting } },
            DefaultProvider = "p",
        });

        Assert.Equal(routes, router.TryResolve("meta-llama/llama-3.1-8b", out _, out _));
        Assert.True(router.TryResolve("llama-3.1-8b", out _, out string error), error); // a name without a slash always reaches the default
    }

    [Fact]
    public void AModelMapEntry_RoutesASlashModel_WhateverTheDefault()
    {
        var router = new ModelRouter(new RoutingOptions
        {
            Providers =
            {
                new ProviderOptions { Name = "openai", Kind = ProviderKind.OpenAI, BaseUrl = "https://api.openai.com/v1" },
                new ProviderOptions { Name = "together", BaseUrl = "https://api.together.xyz/v1", AcceptsSlashModels = false },
            },
            ModelMap = { ["meta-llama/*"] = "together" },
            DefaultProvider = "openai",
        });

        Assert.True(router.TryResolve("meta-llama/llama-3.1-8b", out ProviderRoute route, out string error), error);
        Assert.Equal("together", route.Provider.Name);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("openai/")]
    public void MissingModel_IsRefused(string? model)
    {
        Assert.False(Router("openai").TryResolve(model, out _, out string error));
        Assert.NotEmpty(error);
    }

    [Theory]
    [InlineData("https://api.openai.com/v1", "https://api.openai.com/v1/chat/completions")]
    [InlineData("https://api.openai.com/v1/", "https://api.openai.com/v1/chat/completions")]
    [InlineData("https://api.openai.com", "https://api.openai.com/v1/chat/completions")]
    [InlineData("https://openrouter.ai/api/v1", "https://openrouter.ai/api/v1/chat/completions")]
    [InlineData("http://127.0.0.1:11434/", "http://127.0.0.1:11434/v1/chat/completions")]
    public void BaseUrl_WithOrWithoutV1_IsNeverDoubled(string baseUrl, string expected)
    {
        var router = new ModelRouter(new RoutingOptions { Providers = { new ProviderOptions { Name = "p", BaseUrl = baseUrl } } });
        router.TryGetProvider("p", out Provider provider);

        Assert.Equal(expected, provider.BuildUri("/v1/chat/completions").AbsoluteUri);
        Assert.Equal(expected + "?api-version=1", provider.BuildUri("/v1/chat/completions", "?api-version=1").AbsoluteUri);
    }

    [Fact]
    public void KeyFromEnvironment_IsResolvedOrReportedMissing()
    {
        var options = new RoutingOptions
        {
            Providers =
            {
                new ProviderOptions { Name = "set", BaseUrl = "http://x", ApiKeyEnv = "SET_VAR" },
                new ProviderOptions { Name = "unset", BaseUrl = "http://x", ApiKeyEnv = "UNSET_VAR" },
                new ProviderOptions { Name = "none", BaseUrl = "http://x" },
            },
        };
        var router = new ModelRouter(options, name => name == "SET_VAR" ? "sk-1" : null);

        router.TryGetProvider("set", out Provider set);
        router.TryGetProvider("unset", out Provider unset);
        router.TryGetProvider("none", out Provider none);
        Assert.False(set.IsMissingKey);
        Assert.True(unset.IsMissingKey);
        Assert.False(none.IsMissingKey);
    }

    [Theory]
    [InlineData("bad/name", "http://x", "invalid")]
    [InlineData("p", "ftp://x", "base URL")]
    [InlineData("p", "not a url", "base URL")]
    public void BadProviderConfiguration_FailsAtBuildWithTheSetting(string name, string url, string expected)
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => new ModelRouter(new RoutingOptions { Providers = { new ProviderOptions { Name = name, BaseUrl = url } } }));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MapEntryNamingAnUnknownProvider_FailsAtBuild()
    {
        var options = new RoutingOptions { Providers = { new ProviderOptions { Name = "p", BaseUrl = "http://x" } }, ModelMap = { ["m"] = "q" } };

        ArgumentException error = Assert.Throws<ArgumentException>(() => new ModelRouter(options));

        Assert.Contains("'q'", error.Message, StringComparison.Ordinal);
    }
}
