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

    /// <summary>
    /// Amazon Bedrock's Converse API, <c>POST /model/{modelId}/converse</c> and <c>/converse-stream</c>
    /// (AWS's binary event stream): the model is in the path, the usage in <c>usage</c> (<c>metadata.usage</c> on a stream).
    /// </summary>
    BedrockConverse,

    /// <summary>
    /// Amazon Bedrock's InvokeModel, <c>POST /model/{modelId}/invoke</c> and <c>/invoke-with-response-stream</c>:
    /// the model's own body, the usage in the <c>X-Amzn-Bedrock-*-Token-Count</c> response headers
    /// (<c>amazon-bedrock-invocationMetrics</c> in a stream's last chunk).
    /// </summary>
    BedrockInvoke,
}
