using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Transport;

/// <summary>Which APIs a provider's kind serves, for a clear refusal where it serves not the one a client called (the relay does not translate between APIs).</summary>
internal static class ProviderApis
{
    /// <summary>Why <paramref name="provider"/> cannot take a request of <paramref name="api"/>, or null when it can.</summary>
    public static string? Refusal(Provider provider, ApiKind api) => (provider.Kind, api) switch
    {
        (ProviderKind.Gemini, not ApiKind.GeminiGenerateContent) =>
            $"Provider '{provider.Name}' is a Gemini provider: it serves {GeminiPaths.Prefix}{{model}}:{GeminiPaths.Method} and :{GeminiPaths.StreamMethod}, not {UpstreamUris.PathOf(api)}. Call Gemini's API for its models.",
        (not ProviderKind.Gemini, ApiKind.GeminiGenerateContent) =>
            $"Provider '{provider.Name}' is {Provider.KindName(provider.Kind)} provider: Gemini's generateContent is for a Gemini provider's models.",
        (ProviderKind.Bedrock, not (ApiKind.BedrockConverse or ApiKind.BedrockInvoke)) =>
            $"Provider '{provider.Name}' is a Bedrock provider: it serves {BedrockPaths.Prefix}{{modelId}}/{BedrockPaths.Converse}, /{BedrockPaths.ConverseStream}, /{BedrockPaths.Invoke} and /{BedrockPaths.InvokeStream}, not {UpstreamUris.PathOf(api)}. Call Bedrock's runtime API for its models.",
        (not ProviderKind.Bedrock, ApiKind.BedrockConverse or ApiKind.BedrockInvoke) =>
            $"Provider '{provider.Name}' is {Provider.KindName(provider.Kind)} provider: Bedrock's Converse and InvokeModel are for a Bedrock provider's models.",
        (ProviderKind.AzureOpenAI, ApiKind.AnthropicMessages) =>
            $"Provider '{provider.Name}' is an Azure OpenAI provider: it serves Chat Completions and Responses, not Anthropic Messages. Use a model of an Anthropic provider here.",
        _ => null,
    };
}
