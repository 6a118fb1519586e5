namespace AkkaProxy.Pipeline.Routing;

/// <summary>How the relay carries a provider's streaming Responses requests (<c>transport</c> in a provider's configuration).</summary>
public enum UpstreamTransport
{
    /// <summary>Every request over HTTP, streams as Server-Sent Events (the default).</summary>
    Http = 0,

    /// <summary>
    /// Streaming <c>POST /v1/responses</c> requests over pooled upstream sockets in the Responses
    /// WebSocket mode, re-framed as Server-Sent Events for the client; everything else over HTTP.
    /// See <c>docs/upstream-websocket.md</c>.
    /// </summary>
    WebSocket,
}
