using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Transport;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Tests.Transport;

/// <summary>Where each API goes at each kind of provider; Azure OpenAI's two URL shapes above all.</summary>
public sealed class UpstreamUrisTests
{
    private static Provider Azure(string baseUrl, string? apiVersion)
    {
        var router = new ModelRouter(new RoutingOptions { Providers = { new ProviderOptions { Name = "az", Kind = ProviderKind.AzureOpenAI, BaseUrl = baseUrl, ApiVersion = apiVersion } } });
        router.TryGetProvider("az", out Provider provider);
        return provider;
    }

    [Theory]
    [InlineData("https://res.openai.azure.com")]
    [InlineData("https://res.openai.azure.com/")]
    [InlineData("https://res.openai.azure.com/openai")]
    [InlineData("https://res.openai.azure.com/openai/v1/")]
    public void Azure_WithAnApiVersion_ChatGoesToTheDeployment_ResponsesToTheResource(string baseUrl)
    {
        Provider azure = Azure(baseUrl, "2024-10-21");
        Assert.Equal("https://res.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21",
            UpstreamUris.For(azure, ApiKind.ChatCompletions, "gpt-4o", null).AbsoluteUri);
        Assert.Equal("https://res.openai.azure.com/openai/responses?api-version=2024-10-21",
            UpstreamUris.For(azure, ApiKind.Responses, "gpt-4o", "").AbsoluteUri);
    }

    [Fact]
    public void Azure_TheProvidersApiVersion_ReplacesTheClients_AndTheRestOfTheQueryStays()
    {
        Provider azure = Azure("https://res.openai.azure.com", "2024-10-21");
        Assert.Equal("https://res.openai.azure.com/openai/deployments/my%20dep/chat/completions?trace=1&api-version=2024-10-21",
            UpstreamUris.For(azure, ApiKind.ChatCompletions, "my dep", "?api-version=2023-05-15&trace=1").AbsoluteUri);
    }

    [Fact]
    public void Azure_WithoutAnApiVersion_UsesTheV1Surface()
    {
        Provider azure = Azure("https://res.openai.azure.com/openai/v1", null);
        Assert.Null(azure.ApiVersion);
        Assert.Equal("https://res.openai.azure.com/openai/v1/chat/completions", UpstreamUris.For(azure, ApiKind.ChatCompletions, "gpt-4o", null).AbsoluteUri);
        Assert.Equal("https://res.openai.azure.com/openai/v1/responses", UpstreamUris.For(azure, ApiKind.Responses, "gpt-4o", null).AbsoluteUri);
    }

    [Fact]
    public void OtherKinds_KeepTheApisPath_AndIgnoreAnApiVersion()
    {
        var router = new ModelRouter(new RoutingOptions { Providers = { new ProviderOptions { Name = "o", Kind = ProviderKind.OpenAI, BaseUrl = "https://api.openai.com/v1", ApiVersion = "2024-10-21" } } });
        router.TryGetProvider("o", out Provider openai);
        Assert.Null(openai.ApiVersion);
        Assert.True(openai.HasWebSocketMode);
        Assert.Equal("https://api.openai.com/v1/responses", UpstreamUris.For(openai, ApiKind.Responses, "gpt-4o", null).AbsoluteUri);
    }

    [Fact]
    public void Azure_ServesTheWebSocketMode_OnItsV1Surface_WhateverItsApiVersion()
    {
        Provider azure = Azure("https://res.openai.azure.com/openai", "2024-10-21");
        Assert.True(azure.HasWebSocketMode);
        Assert.Equal("wss://res.openai.azure.com/openai/v1/responses?model=gpt-4o", ClientWebSocketDialer.UpstreamUri(azure, "gpt-4o").AbsoluteUri);
    }

    [Fact]
    public void Anthropic_HasNoWebSocketMode_AndRefusesTheWebSocketTransport()
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => new ModelRouter(new RoutingOptions
        {
            Providers = { new ProviderOptions { Name = "an", Kind = ProviderKind.Anthropic, BaseUrl = "https://api.anthropic.com", Transport = UpstreamTransport.WebSocket } },
        }));
        Assert.Contains("an Anthropic provider", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("?alt=sse&key=relay-secret", "alt=sse")]
    [InlineData("?KEY=relay-secret&alt=sse", "alt=sse")]
    [InlineData("?%6Bey=relay-secret&alt=sse", "alt=sse")]
    [InlineData("?alt=sse&key", "alt=sse")]
    [InlineData("?%24key=relay-secret&alt=sse", "alt=sse")]
    [InlineData("?alt=sse&keys=1&fields=candidates&%24fields=x&%24alt=json", "alt=sse")]
    public void Gemini_TheUpstreamQuery_IsTheRelaysOwn_NoKeyNorSystemParameterOfTheClients(string query, string expected)
    {
        var router = new ModelRouter(new RoutingOptions { Providers = { new ProviderOptions { Name = "g", Kind = ProviderKind.Gemini, BaseUrl = "https://generativelanguage.googleapis.com" } } });
        router.TryGetProvider("g", out Provider gemini);
        Uri uri = UpstreamUris.For(gemini, ApiKind.GeminiGenerateContent, "gemini-2.5-flash", query, streaming: true, clientPath: "/v1/models/g/gemini-2.5-flash:streamGenerateContent");
        Assert.Equal("https://generativelanguage.googleapis.com/v1/models/gemini-2.5-flash:streamGenerateContent?" + expected, uri.AbsoluteUri);
        Assert.DoesNotContain("relay-secret", uri.AbsoluteUri, StringComparison.Ordinal);
    }

    [Fact]
    public void TheApiVersion_ReplacesTheClients_HoweverItIsSpelled()
    {
        Assert.Equal("trace=1&api-version=2024-10-21", UpstreamUris.Without("?API-Version=1&trace=1&api%2Dversion=2", "api-version") + "&api-version=2024-10-21");
    }
}
