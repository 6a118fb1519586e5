namespace AkkaProxy.LoadHarness.Load;

/// <summary>
/// The scenarios of the issues: Chat and Responses SSE at 20 and 200 events, JSON, Chat SSE at 20
/// events from a client without keep-alive (a new connection per request), WebSocket turns.
/// </summary>
public static class Scenarios
{
    public static IReadOnlyList<Scenario> All { get; } =
    [
        new("chat-sse-20", ScenarioKind.ChatSse, 20),
        new("chat-sse-200", ScenarioKind.ChatSse, 200),
        new("responses-sse-20", ScenarioKind.ResponsesSse, 20),
        new("responses-sse-200", ScenarioKind.ResponsesSse, 200),
        new("json", ScenarioKind.Json, 20),
        new("chat-sse-20-close", ScenarioKind.ChatSse, 20, KeepAlive: false),
        new("websocket-20", ScenarioKind.WebSocket, 20),
        new("websocket-200", ScenarioKind.WebSocket, 200),
    ];

    public static IReadOnlyList<int> Concurrencies { get; } = [1, 32];
}
