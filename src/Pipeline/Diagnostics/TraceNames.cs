using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Diagnostics;

/// <summary>The values of the spans' attributes that name things: lower-case, stable, documented in docs/observability.md.</summary>
internal static class TraceNames
{
    /// <summary>The GenAI convention's provider: its well-known names for OpenAI, Anthropic and Azure OpenAI, the configured name for any other.</summary>
    public static string Provider(Provider provider) => provider.Kind switch
    {
        ProviderKind.OpenAI => "openai",
        ProviderKind.Anthropic => "anthropic",
        ProviderKind.AzureOpenAI => "azure.ai.openai",
        _ => provider.Name,
    };

    public static string Api(ApiKind api) => api switch
    {
        ApiKind.ChatCompletions => "chat_completions",
        ApiKind.Responses => "responses",
        _ => "messages",
    };

    /// <summary>The outcome as records and metrics spell it (<see cref="RecordNames"/>).</summary>
    public static string Outcome(ExchangeOutcome outcome) => RecordNames.Outcome(outcome);

    /// <summary>The side as records and metrics spell it (<see cref="RecordNames"/>).</summary>
    public static string Side(EndedBy endedBy) => RecordNames.Side(endedBy);
}
