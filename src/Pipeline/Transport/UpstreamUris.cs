using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Transport;

/// <summary>Where an exchange goes upstream: the API's path at the provider, with the client's query string.</summary>
internal static class UpstreamUris
{
    /// <summary>The API path each API is served on, by the relay and by OpenAI and Anthropic.</summary>
    public static string PathOf(ApiKind api) => api switch
    {
        ApiKind.ChatCompletions => "/v1/chat/completions",
        ApiKind.Responses => "/v1/responses",
        _ => "/v1/messages",
    };

    /// <summary>
    /// The upstream URL of <paramref name="api"/> for <paramref name="upstreamModel"/>: the API's path at
    /// the provider's base. Azure OpenAI with an <c>api-version</c>: Chat Completions at the deployment
    /// (<c>/openai/deployments/{model}/chat/completions</c>), Responses at <c>/openai/responses</c>, with
    /// the provider's <c>api-version</c> in place of any the client sent; without one, the v1 surface (<c>/openai/v1/...</c>).
    /// </summary>
    public static Uri For(Provider provider, ApiKind api, string upstreamModel, string? query)
    {
        if (provider.Kind != ProviderKind.AzureOpenAI)
        {
            return provider.BuildUri(PathOf(api), query);
        }

        if (provider.ApiVersion is null)
        {
            return provider.BuildUri("/openai" + PathOf(api), query);
        }

        string path = api == ApiKind.ChatCompletions
            ? $"/openai/deployments/{Uri.EscapeDataString(upstreamModel)}/chat/completions"
            : "/openai" + PathOf(api)[3..];
        return provider.BuildUri(path, WithApiVersion(query, provider.ApiVersion));
    }

    private static string WithApiVersion(string? query, string apiVersion)
    {
        string version = "api-version=" + Uri.EscapeDataString(apiVersion);
        if (string.IsNullOrEmpty(query) || query == "?")
        {
            return version;
        }

        IEnumerable<string> kept = query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Where(pair => !pair.StartsWith("api-version=", StringComparison.OrdinalIgnoreCase) && !pair.Equals("api-version", StringComparison.OrdinalIgnoreCase));
        return string.Join('&', kept.Append(version));
    }
}
