using AkkaProxy.Pipeline.Diagnostics;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Tests.Diagnostics;

/// <summary>The GenAI conventions' names the spans and metrics use, for every API and provider kind.</summary>
public sealed class TraceNamesTests
{
    [Theory]
    [InlineData(ApiKind.ChatCompletions, "chat", "chat_completions")]
    [InlineData(ApiKind.Responses, "chat", "responses")]
    [InlineData(ApiKind.AnthropicMessages, "chat", "messages")]
    [InlineData(ApiKind.GeminiGenerateContent, "generate_content", "generate_content")]
    [InlineData(ApiKind.BedrockConverse, "chat", "converse")]
    [InlineData(ApiKind.BedrockInvoke, "chat", "invoke_model")]
    public void EachApi_HasItsOperationAndItsName(ApiKind api, string operation, string name)
    {
        Assert.Equal(operation, TraceNames.Operation(api));
        Assert.Equal(name, TraceNames.Api(api));
    }

    [Theory]
    [InlineData(ProviderKind.OpenAI, "openai")]
    [InlineData(ProviderKind.Anthropic, "anthropic")]
    [InlineData(ProviderKind.AzureOpenAI, "azure.ai.openai")]
    [InlineData(ProviderKind.Gemini, "gcp.gemini")]
    [InlineData(ProviderKind.Bedrock, "aws.bedrock")]
    [InlineData(ProviderKind.OpenAICompatible, "mine")]
    public void EachProviderKind_HasTheConventionsName_OrItsConfiguredOne(ProviderKind kind, string expected)
    {
        var router = new ModelRouter(new RoutingOptions { Providers = { new ProviderOptions { Name = "mine", Kind = kind, BaseUrl = "https://example.com", Region = "us-east-1" } } });
        router.TryGetProvider("mine", out Provider provider);
        Assert.Equal(expected, TraceNames.Provider(provider));
    }
}
