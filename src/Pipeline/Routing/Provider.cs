namespace AkkaProxy.Pipeline.Routing;

/// <summary>A provider as the relay uses it: options validated, base URL normalised, key resolved.</summary>
public sealed class Provider
{
    internal Provider(ProviderOptions options, Func<string, string?> environment)
    {
        if (string.IsNullOrWhiteSpace(options.Name) || options.Name.Contains('/'))
        {
            throw new ArgumentException($"Provider name '{options.Name}' is invalid: it must be non-empty and contain no '/'.");
        }

        if (!Uri.TryCreate(options.BaseUrl, UriKind.Absolute, out Uri? baseUri) || baseUri.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"Provider '{options.Name}' has base URL '{options.BaseUrl}': set an absolute http or https URL.");
        }

        Name = options.Name;
        Kind = options.Kind;
        ApiKeyEnv = string.IsNullOrWhiteSpace(options.ApiKeyEnv) ? null : options.ApiKeyEnv;
        ApiKey = !string.IsNullOrEmpty(options.ApiKey) ? options.ApiKey
            : ApiKeyEnv is null ? null
            : environment(ApiKeyEnv) is { Length: > 0 } key ? key : null;
        Headers = new Dictionary<string, string>(options.Headers, StringComparer.OrdinalIgnoreCase);
        AcceptsStreamOptions = options.AcceptsStreamOptions && options.Kind is not (ProviderKind.Anthropic or ProviderKind.Gemini or ProviderKind.Bedrock);
        AcceptsSlashModels = options.AcceptsSlashModels ?? options.Kind == ProviderKind.OpenAICompatible;
        Models = [.. options.Models];
        HasWebSocketMode = options.Kind is not (ProviderKind.Anthropic or ProviderKind.Gemini or ProviderKind.Bedrock);
        Transport = !HasWebSocketMode && options.Transport == UpstreamTransport.WebSocket
            ? throw new ArgumentException($"Provider '{options.Name}' is {KindName(options.Kind)} provider: transport = websocket is for the OpenAI Responses API's WebSocket mode, which it has not; use http.")
            : options.Transport;
        ApiVersion = options.Kind == ProviderKind.AzureOpenAI && !string.IsNullOrWhiteSpace(options.ApiVersion) ? options.ApiVersion.Trim() : null;
        BaseUri = NormaliseBase(baseUri, options.Kind);
        if (options.Kind == ProviderKind.Bedrock)
        {
            Region = !string.IsNullOrWhiteSpace(options.Region) ? options.Region.Trim()
                : RegionOf(baseUri) ?? throw new ArgumentException($"Provider '{options.Name}' is a Bedrock provider without a region: set region (us-east-1), or a base URL https://bedrock-runtime.{{region}}.amazonaws.com.");
            AccessKeyIdEnv = Or(options.AccessKeyIdEnv, "AWS_ACCESS_KEY_ID");
            SecretAccessKeyEnv = Or(options.SecretAccessKeyEnv, "AWS_SECRET_ACCESS_KEY");
            string sessionTokenEnv = Or(options.SessionTokenEnv, "AWS_SESSION_TOKEN");
            if (ApiKey is null && environment(AccessKeyIdEnv) is { Length: > 0 } keyId && environment(SecretAccessKeyEnv) is { Length: > 0 } secret)
            {
                AwsCredentials = new AwsCredentials(keyId, secret, environment(sessionTokenEnv) is { Length: > 0 } token ? token : null);
            }
        }
    }

    /// <summary>The provider's name.</summary>
    public string Name { get; }

    /// <summary>How to talk to it.</summary>
    public ProviderKind Kind { get; }

    /// <summary>The base URL without a trailing <c>/v1</c> or slash; API paths are appended to it.</summary>
    public Uri BaseUri { get; }

    /// <summary>The environment variable the key comes from, if any.</summary>
    public string? ApiKeyEnv { get; }

    /// <summary>Whether a key is required but absent (its environment variable is unset; for Bedrock, neither an API key nor AWS credentials).</summary>
    public bool IsMissingKey => Kind == ProviderKind.Bedrock ? ApiKey is null && AwsCredentials is null : ApiKey is null && ApiKeyEnv is not null;

    /// <summary>What to set for a missing key, for messages: the API key's variable, and for Bedrock the AWS credentials' ones.</summary>
    public string MissingKeyHint => Kind == ProviderKind.Bedrock
        ? $"the environment variables {AccessKeyIdEnv} and {SecretAccessKeyEnv}" + (ApiKeyEnv is null ? "" : $", or {ApiKeyEnv} with a Bedrock API key")
        : $"the environment variable {ApiKeyEnv}";

    /// <summary>For Bedrock, the AWS region requests are signed for; null for other kinds.</summary>
    public string? Region { get; }

    /// <summary>Extra headers for every upstream request.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }

    /// <summary>Whether <c>stream_options.include_usage</c> may be injected.</summary>
    public bool AcceptsStreamOptions { get; }

    /// <summary>Whether, as the default provider, it takes model names with a slash whose prefix is no provider's name.</summary>
    public bool AcceptsSlashModels { get; }

    /// <summary>How streaming Responses requests reach it (see <see cref="UpstreamTransport"/>).</summary>
    public UpstreamTransport Transport { get; }

    /// <summary>Whether it serves the Responses API's WebSocket mode (OpenAI, OpenAI-compatible servers and Azure OpenAI's v1 surface; not Anthropic or Gemini).</summary>
    public bool HasWebSocketMode { get; }

    /// <summary>For Azure OpenAI, the <c>api-version</c> of its deployment URLs; null for the v1 surface and for other kinds.</summary>
    public string? ApiVersion { get; }

    /// <summary>Models this provider lists.</summary>
    public IReadOnlyList<string> Models { get; }

    internal string? ApiKey { get; }

    /// <summary>For Bedrock without an API key: the credentials requests are signed with (read from the environment at start-up).</summary>
    internal AwsCredentials? AwsCredentials { get; }

    internal string? AccessKeyIdEnv { get; }

    internal string? SecretAccessKeyEnv { get; }

    /// <summary>The upstream URL for an API path such as <c>/v1/chat/completions</c>, with the client's query string.</summary>
    public Uri BuildUri(string apiPath, string? query = null)
    {
        var builder = new UriBuilder(BaseUri);
        builder.Path = builder.Path.TrimEnd('/') + apiPath;
        builder.Query = string.IsNullOrEmpty(query) ? "" : query.TrimStart('?');
        return builder.Uri;
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>The kind with its article, for messages ("an Anthropic").</summary>
    internal static string KindName(ProviderKind kind) => kind switch
    {
        ProviderKind.Anthropic => "an Anthropic",
        ProviderKind.AzureOpenAI => "an Azure OpenAI",
        ProviderKind.Gemini => "a Gemini",
        ProviderKind.Bedrock => "a Bedrock",
        ProviderKind.OpenAI => "an OpenAI",
        _ => "an OpenAI-compatible",
    };

    private static string Or(string? value, string fallback) => string.IsNullOrWhiteSpace(value) ? fallback : value.Trim();

    /// <summary>The region of an AWS endpoint such as <c>bedrock-runtime.us-east-1.amazonaws.com</c> (FIPS and China endpoints too), or null.</summary>
    private static string? RegionOf(Uri uri)
    {
        string[] labels = uri.Host.Split('.');
        int aws = Array.FindIndex(labels, label => label == "amazonaws");
        return aws >= 2 && labels[0].StartsWith("bedrock-runtime", StringComparison.Ordinal) ? labels[aws - 1] : null;
    }

    private static Uri NormaliseBase(Uri uri, ProviderKind kind)
    {
        string path = uri.AbsolutePath.TrimEnd('/');
        if (path.EndsWith("/v1", StringComparison.OrdinalIgnoreCase))
        {
            path = path[..^3];
        }

        if (kind == ProviderKind.AzureOpenAI && path.EndsWith("/openai", StringComparison.OrdinalIgnoreCase))
        {
            path = path[..^7]; // the resource's endpoint: the relay adds /openai/... itself
        }

        return new UriBuilder(uri) { Path = path, Query = "", Fragment = "" }.Uri;
    }
}
