namespace AkkaProxy.LoadHarness.Fake;

/// <summary>Which response the fake renders.</summary>
public enum BodyShape
{
    ChatSse,
    ChatSseWithUsage,
    ChatJson,
    ResponsesSse,
    ResponsesJson,
    ResponsesWebSocket,
}
