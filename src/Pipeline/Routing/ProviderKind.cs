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
}
