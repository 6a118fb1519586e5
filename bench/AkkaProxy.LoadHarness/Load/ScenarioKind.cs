namespace AkkaProxy.LoadHarness.Load;

/// <summary>What a scenario's "request" is.</summary>
public enum ScenarioKind
{
    /// <summary><c>POST /v1/chat/completions</c> with <c>stream: true</c> and <c>include_usage</c>.</summary>
    ChatSse,

    /// <summary><c>POST /v1/responses</c> with <c>stream: true</c>.</summary>
    ResponsesSse,

    /// <summary><c>POST /v1/chat/completions</c>, non-streaming JSON.</summary>
    Json,

    /// <summary>One <c>response.create</c> turn on an open Responses WebSocket.</summary>
    WebSocket,
}
