using System.Net.Http.Headers;
using AkkaProxy.Pipeline.Routing;

namespace AkkaProxy.Pipeline.Transport;

/// <summary>Puts the provider's key and configured headers on an upstream request.</summary>
internal static class ProviderCredentials
{
    /// <summary>The Anthropic API version sent when the client sent none.</summary>
    public const string DefaultAnthropicVersion = "2023-06-01";

    public static void Apply(Provider provider, HttpRequestHeaders headers)
    {
        foreach ((string name, string value) in provider.Headers)
        {
            headers.Remove(name);
            headers.TryAddWithoutValidation(name, value);
        }

        if (provider.ApiKey is null)
        {
            return;
        }

        if (provider.Kind == ProviderKind.Anthropic)
        {
            headers.TryAddWithoutValidation("x-api-key", provider.ApiKey);
            if (!headers.Contains("anthropic-version"))
            {
                headers.TryAddWithoutValidation("anthropic-version", DefaultAnthropicVersion);
            }
        }
        else if (provider.Kind == ProviderKind.Gemini)
        {
            headers.TryAddWithoutValidation("x-goog-api-key", provider.ApiKey);
        }
        else if (provider.Kind == ProviderKind.AzureOpenAI)
        {
            headers.TryAddWithoutValidation("api-key", provider.ApiKey);
        }
        else
        {
            headers.Authorization = new AuthenticationHeaderValue("Bearer", provider.ApiKey);
        }
    }
}
