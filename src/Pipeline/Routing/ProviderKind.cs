namespace AkkaProxy.Pipeline.Routing;

/// <summary>How the relay talks to a provider.</summary>
public enum ProviderKind
{
    /// <summary>OpenAI itself: <c>Authorization: Bearer</c>, accepts <c>stream_options</c>.</summary>
    OpenAI,

    /// <summary>Any server that speaks OpenAI's wire format (vLLM, Ollama, OpenRouter, …) at its own base URL.</summary>
    OpenAICompatible,

    /// <summary>Anthropic: <c>x-api-key</c> and <c>anthropic-version</c> headers.</summary>
    Anthropic,

    /// <summary>
    /// Azure OpenAI: OpenAI's wire format at a resource's endpoint, with the <c>api-key</c> header; the
    /// model is the deployment's name. With <see cref="ProviderOptions.ApiVersion"/> the deployment URLs
    /// (<c>/openai/deployments/{deployment}/chat/completions?api-version=…</c>), without it the v1 surface
    /// (<c>/openai/v1/chat/completions</c>, <c>/openai/v1/responses</c>). The WebSocket mode is on the v1
    /// surface (<c>wss://…/openai/v1/responses</c>) either way.
    /// </summary>
    AzureOpenAI,

    /// <summary>Google Gemini (the Generative Language API): <c>x-goog-api-key</c>, the model in the URL's path.</summary>
    Gemini,

    /// <summary>
    /// Amazon Bedrock's runtime (<c>bedrock-runtime.{region}.amazonaws.com</c>): Converse and
    /// InvokeModel, streamed in AWS's binary event stream; requests signed with AWS Signature Version 4
    /// from the provider's credentials, or sent with a Bedrock API key (<c>Authorization: Bearer</c>)
    /// when <see cref="ProviderOptions.ApiKeyEnv"/> holds one.
    /// </summary>
    Bedrock,
}
