using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Diagnostics;

/// <summary>The values of the spans' attributes that name things: lower-case, stable, documented in docs/observability.md.</summary>
internal static class TraceNames
{
    /// <summary>The GenAI convention's provider: its well-known names for OpenAI and Anthropic, the configured name for any other.</summary>
    public static string Provider(Provider provider) => provider.Kind switch
    {
        ProviderKind.OpenAI => "openai",
        ProviderKind.Anthropic => "anthropic",
        _ => provider.Name,
    };

    public static string Api(ApiKind api) => api switch
    {
        ApiKind.ChatCompletions => "chat_completions",
        ApiKind.Responses => "responses",
        _ => "messages",
    };

    public static string Outcome(ExchangeOutcome outcome) => outcome switch
    {
        ExchangeOutcome.Completed => "completed",
        ExchangeOutcome.Incomplete => "incomplete",
        ExchangeOutcome.Failed => "failed",
        ExchangeOutcome.ClientAborted => "client_aborted",
        ExchangeOutcome.UpstreamError => "upstream_error",
        _ => "rejected",
    };

    public static string Side(EndedBy endedBy) => endedBy switch
    {
        EndedBy.Upstream => "upstream",
        EndedBy.Client => "client",
        EndedBy.IdleTimeout => "idle_timeout",
        EndedBy.Shutdown => "shutdown",
        _ => "relay",
    };
}
