namespace AkkaProxy.Pipeline.Usage;

/// <summary>The LLM API an exchange speaks; decides the request fields, the frame format and where usage is found.</summary>
public enum ApiKind
{
    /// <summary>OpenAI Chat Completions, <c>POST /v1/chat/completions</c>.</summary>
    ChatCompletions,

    /// <summary>OpenAI Responses, <c>POST /v1/responses</c> (and its WebSocket mode).</summary>
    Responses,

    /// <summary>Anthropic Messages, <c>POST /v1/messages</c>.</summary>
    AnthropicMessages,

    /// <summary>
    /// Google Gemini's <c>POST /v1beta/models/{model}:generateContent</c> and
    /// <c>:streamGenerateContent?alt=sse</c>: the model is in the path, the usage in <c>usageMetadata</c>.
    /// </summary>
    GeminiGenerateContent,
}
