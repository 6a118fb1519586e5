namespace AkkaProxy.Pipeline.Routing;

/// <summary>One upstream provider, configured by name.</summary>
public sealed class ProviderOptions
{
    /// <summary>The name clients use as a model prefix (<c>openai</c> in <c>openai/gpt-4o</c>).</summary>
    public string Name { get; set; } = "";

    /// <summary>How to talk to it.</summary>
    public ProviderKind Kind { get; set; } = ProviderKind.OpenAICompatible;

    /// <summary>Base URL, with or without a trailing <c>/v1</c> (never doubled).</summary>
    public string BaseUrl { get; set; } = "";

    /// <summary>Name of the environment variable holding the provider's API key. Leave empty for a provider that needs none.</summary>
    public string? ApiKeyEnv { get; set; }

    /// <summary>The API key itself, for embedders that hold it in memory; wins over <see cref="ApiKeyEnv"/>.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Headers added to every upstream request (for example OpenRouter's <c>HTTP-Referer</c>).</summary>
    public Dictionary<string, string> Headers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether the provider accepts <c>stream_options</c> on Chat Completions. Only then does the relay inject <c>include_usage</c>.</summary>
    public bool AcceptsStreamOptions { get; set; } = true;

    /// <summary>
    /// Whether, as the default provider, it receives model names that contain a slash whose first part
    /// is not a provider name (OpenRouter-style <c>meta-llama/llama-3.1-8b</c>). Null takes the kind's
    /// default: on for <see cref="ProviderKind.OpenAICompatible"/>, off for <see cref="ProviderKind.OpenAI"/>
    /// and <see cref="ProviderKind.Anthropic"/>, so a mistyped prefix (<c>antrhopic/claude-x</c>) is refused
    /// instead of sending the prompt, with the default provider's key, where it was not meant to go.
    /// </summary>
    public bool? AcceptsSlashModels { get; set; }

    /// <summary>
    /// How streaming Responses requests reach the provider: <see cref="UpstreamTransport.Http"/> (the
    /// default) or <see cref="UpstreamTransport.WebSocket"/>, over pooled sockets (other APIs and
    /// non-streaming requests stay on HTTP).
    /// </summary>
    public UpstreamTransport Transport { get; set; } = UpstreamTransport.Http;

    /// <summary>
    /// For <see cref="ProviderKind.AzureOpenAI"/>: the <c>api-version</c> of Azure's deployment URLs
    /// (<c>2024-10-21</c>). Empty: the v1 surface, which takes none. Ignored for other kinds.
    /// </summary>
    public string? ApiVersion { get; set; }

    /// <summary>
    /// For <see cref="ProviderKind.Bedrock"/>: the AWS region requests are signed for (<c>us-east-1</c>).
    /// Empty: read from a base URL of the form <c>https://bedrock-runtime.{region}.amazonaws.com</c>.
    /// </summary>
    public string? Region { get; set; }

    /// <summary>For <see cref="ProviderKind.Bedrock"/>: the environment variable holding the AWS access key id (default <c>AWS_ACCESS_KEY_ID</c>).</summary>
    public string? AccessKeyIdEnv { get; set; }

    /// <summary>For <see cref="ProviderKind.Bedrock"/>: the environment variable holding the AWS secret access key (default <c>AWS_SECRET_ACCESS_KEY</c>).</summary>
    public string? SecretAccessKeyEnv { get; set; }

    /// <summary>For <see cref="ProviderKind.Bedrock"/>: the environment variable holding the session token of temporary credentials (default <c>AWS_SESSION_TOKEN</c>; unset for long-term keys).</summary>
    public string? SessionTokenEnv { get; set; }

    /// <summary>Models listed by <c>GET /v1/models</c> as <c>name/model</c>.</summary>
    public List<string> Models { get; set; } = [];
}
