namespace AkkaProxy.LoadHarness.Targets;

/// <summary>The relay configuration that sends the conversation provider's streaming Responses requests over pooled upstream WebSockets.</summary>
public static class ConversationHocon
{
    /// <summary>The provider <c>conv</c> on WebSocket transport, with conversation affinity on or off.</summary>
    public static string WebSocket(bool affinity) =>
        $"akkaproxy.routing.providers.conv {{ transport = websocket }}\nakkaproxy.upstream-websocket.affinity = {(affinity ? "true" : "false")}";
}
