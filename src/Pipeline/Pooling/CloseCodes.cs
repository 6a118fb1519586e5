using System.Net.WebSockets;

namespace AkkaProxy.Pipeline.Pooling;

/// <summary>Which close codes of an upstream socket are a normal end: 1000 (normal), 1001 (going away), 1005 (no status).</summary>
internal static class CloseCodes
{
    public static bool IsNormal(WebSocketCloseStatus? status) =>
        status is null or WebSocketCloseStatus.NormalClosure or WebSocketCloseStatus.EndpointUnavailable || (int)status == 1005;
}
