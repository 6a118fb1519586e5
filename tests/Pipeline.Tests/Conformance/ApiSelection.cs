using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Tests.Conformance;

/// <summary>Which of our APIs a fixture speaks, from its kind, its <c>api_type</c>, or for <c>multi_*</c> without one, its content.</summary>
internal static class ApiSelection
{
    public static ApiKind Of(LlmproxyFixture fixture)
    {
        if (fixture.Kind.StartsWith("chat_", StringComparison.Ordinal) || fixture.Kind.StartsWith("openai_", StringComparison.Ordinal))
        {
            return ApiKind.ChatCompletions;
        }

        if (fixture.Kind.StartsWith("responses_", StringComparison.Ordinal) || fixture.Kind == "ws_usage")
        {
            return ApiKind.Responses;
        }

        if (fixture.Kind.StartsWith("anthropic_", StringComparison.Ordinal))
        {
            return ApiKind.AnthropicMessages;
        }

        return fixture.ApiType switch
        {
            "responses" => ApiKind.Responses,
            "chat_completions" => ApiKind.ChatCompletions,
            "messages" or "anthropic" => ApiKind.AnthropicMessages,
            _ when fixture.Input.Contains("\"type\":\"response.", StringComparison.Ordinal) => ApiKind.Responses,
            _ when fixture.Input.Contains("\"type\":\"message_start\"", StringComparison.Ordinal) => ApiKind.AnthropicMessages,
            _ => ApiKind.ChatCompletions,
        };
    }
}
