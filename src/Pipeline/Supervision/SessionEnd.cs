using System.Net.WebSockets;
using AkkaProxy.Pipeline.Billing;

namespace AkkaProxy.Pipeline.Supervision;

/// <summary>Why a WebSocket session ended: the first side or event that ended it, and its close.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Status">The close status received (for a normal close) or to send.</param>
/// <param name="Description">The close reason.</param>
internal sealed record SessionEnd(SessionEndKind Kind, WebSocketCloseStatus Status, string Description)
{
    public EndedBy EndedBy => Kind switch
    {
        SessionEndKind.ClientClosed or SessionEndKind.ClientLost => EndedBy.Client,
        SessionEndKind.UpstreamClosed or SessionEndKind.UpstreamLost => EndedBy.Upstream,
        SessionEndKind.IdleTimeout => EndedBy.IdleTimeout,
        SessionEndKind.Shutdown => EndedBy.Shutdown,
        _ => EndedBy.Relay,
    };
}

/// <summary>The ways a session ends.</summary>
internal enum SessionEndKind
{
    ClientClosed,
    ClientLost,
    ClientTooLarge,
    UpstreamClosed,
    UpstreamLost,
    UpstreamTooLarge,
    IdleTimeout,
    Shutdown,
    RelayError,
}
