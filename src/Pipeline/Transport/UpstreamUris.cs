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
        ApiKind.GeminiGenerateContent => GeminiPaths.Prefix,
        ApiKind.BedrockConverse or ApiKind.BedrockInvoke => BedrockPaths.Prefix,
        _ => "/v1/messages",
    };

    /// <summary>
    /// The upstream URL of <paramref name="api"/> for <paramref name="upstreamModel"/>: the API's path at
    /// the provider's base. Azure OpenAI with an <c>api-version</c>: Chat Completions at the deployment
    /// (<c>/openai/deployments/{model}/chat/completions</c>), Responses at <c>/openai/responses</c>, with
    /// the provider's <c>api-version</c> in place of any the client sent; without one, the v1 surface (<c>/openai/v1/...</c>).
    /// </summary>
    public static Uri For(Provider provider, ApiKind api, string upstreamModel, string? query, bool streaming = false, string? clientPath = null)
    {
        if (api == ApiKind.GeminiGenerateContent)
        {
            // The model in the path, under the API version the client called. The query is the relay's own,
            // not the client's: alt=sse for a stream, nothing else. Google's system parameters could
            // otherwise leave the usage out of the response (fields, $fields), change its format ($alt)
            // or carry a key (key, $key).
            string method = streaming ? GeminiPaths.StreamMethod : GeminiPaths.Method;
            string prefix = GeminiPaths.PrefixOf(clientPath) ?? GeminiPaths.Prefix;
            return provider.BuildUri($"{prefix}{Uri.EscapeDataString(upstreamModel)}:{method}", streaming ? "alt=sse" : null);
        }

        if (api is ApiKind.BedrockConverse or ApiKind.BedrockInvoke)
        {
            // The model id in the path, the operation after it; Bedrock's runtime takes no query.
            return provider.BuildUri(BedrockPaths.For(upstreamModel, api, streaming));
        }

        if (provider.Kind != ProviderKind.AzureOpenAI)
        {
            // An Azure client's api-version is for Azure: another provider gets the query without it.
            return provider.BuildUri(PathOf(api), AzurePaths.IsAzureShaped(clientPath) ? Without(query, "api-version") : query);
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
        string kept = Without(query, "api-version");
        return kept.Length == 0 ? version : kept + "&" + version;
    }

    /// <summary>
    /// The query without the parameter <paramref name="name"/>, without its '?'. Names are compared as a
    /// server reads them: percent-decoded (and '+' as a space), in any case, so <c>%6Bey=</c> and <c>KEY=</c> go too.
    /// </summary>
    internal static string Without(string? query, string name)
    {
        if (string.IsNullOrEmpty(query) || query == "?")
        {
            return "";
        }

        return string.Join('&', query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Where(pair => !string.Equals(DecodedName(pair), name, StringComparison.OrdinalIgnoreCase)));
    }

    private static string DecodedName(string pair)
    {
        int equals = pair.IndexOf('=');
        string raw = (equals < 0 ? pair : pair[..equals]).Replace('+', ' ');
        try
        {
            return Uri.UnescapeDataString(raw).Trim();
        }
        catch (UriFormatException)
        {
            return raw;
        }
    }
}
