using System.Net.WebSockets;

namespace AkkaProxy.Pipeline.Transport;

/// <summary>Which close codes end a Responses WebSocket normally: 1000 (normal), 1001 (going away), 1005 (no status); the pool and the client both ask here.</summary>
internal static class CloseCodes
{
    public static bool IsNormal(WebSocketCloseStatus? status) =>
        status is null or WebSocketCloseStatus.NormalClosure or WebSocketCloseStatus.EndpointUnavailable or WebSocketCloseStatus.Empty;
}
