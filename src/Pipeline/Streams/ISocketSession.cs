using Akka.Streams;
using AkkaProxy.Pipeline.Transport;

namespace AkkaProxy.Pipeline.Streams;

/// <summary>
/// What the stages of a session's graph need of their session. The graph's blueprint is built once
/// and shared by every socket; each materialization carries its session as an attribute
/// (<see cref="SocketSessionAttribute"/>), which every stage reads when its logic is created.
/// </summary>
internal interface ISocketSession
{
    /// <summary>Touched by every message read, on either side.</summary>
    ActivityTimeout Activity { get; }

    /// <summary>The client's socket, for the client sink (sends are serialised with the session's own).</summary>
    SocketSender ToClient { get; }

    /// <summary>The upstream's socket, for the upstream sink; there is one once the first turn was dialled.</summary>
    SocketSender UpstreamSender();

    /// <summary>A turn's end reached the client sink, after everything before it was sent.</summary>
    void EndTurn(ExchangeBinding turn);

    /// <summary>A send to the client failed: the client is gone.</summary>
    void ClientSendFailed(Exception failure);

    /// <summary>A send to the upstream failed.</summary>
    void UpstreamSendFailed(Exception failure);

    /// <summary>Whether the session has ended and is closing both sockets.</summary>
    bool IsClosing();
}

/// <summary>Carries one materialization's session to the stages of the shared blueprint.</summary>
internal sealed class SocketSessionAttribute(ISocketSession session) : Attributes.IAttribute
{
    public ISocketSession Session { get; } = session;

    /// <summary>The session of the graph being materialized.</summary>
    public static ISocketSession Of(Attributes attributes) =>
        attributes.GetAttribute<SocketSessionAttribute>()?.Session
        ?? throw new InvalidOperationException("A session graph's stage was materialized without its session (SocketSessionAttribute).");
}
