using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Diagnostics;

/// <summary>The values of the spans' attributes that name things: lower-case, stable, documented in docs/observability.md.</summary>
internal static class TraceNames
{
    /// <summary>The GenAI convention's provider: its well-known names for OpenAI, Anthropic, Azure OpenAI, Gemini and Bedrock, the configured name for any other.</summary>
    public static string Provider(Provider provider) => provider.Kind switch
    {
        ProviderKind.OpenAI => "openai",
        ProviderKind.Anthropic => "anthropic",
        ProviderKind.AzureOpenAI => "azure.ai.openai",
        ProviderKind.Gemini => "gcp.gemini",
        ProviderKind.Bedrock => "aws.bedrock",
        _ => provider.Name,
    };

    /// <summary>The GenAI convention's <c>gen_ai.operation.name</c>: <c>generate_content</c> for Gemini's generateContent, <c>chat</c> for Chat Completions, Responses, Messages and Bedrock's Converse and InvokeModel alike.</summary>
    public static string Operation(ApiKind api) => api == ApiKind.GeminiGenerateContent ? "generate_content" : "chat";

    public static string Api(ApiKind api) => api switch
    {
        ApiKind.ChatCompletions => "chat_completions",
        ApiKind.Responses => "responses",
        ApiKind.GeminiGenerateContent => "generate_content",
        ApiKind.BedrockConverse => "converse",
        ApiKind.BedrockInvoke => "invoke_model",
        _ => "messages",
    };

    /// <summary>The outcome as records and metrics spell it (<see cref="RecordNames"/>).</summary>
    public static string Outcome(ExchangeOutcome outcome) => RecordNames.Outcome(outcome);

    /// <summary>The side as records and metrics spell it (<see cref="RecordNames"/>).</summary>
    public static string Side(EndedBy endedBy) => RecordNames.Side(endedBy);
}
