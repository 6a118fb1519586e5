using System.Net.WebSockets;

namespace AkkaProxy.Pipeline.Client;

/// <summary>
/// A turn could not finish on its socket: the connection closed or broke mid-turn, the server sent
/// something that is not an event, or an event exceeded the size limit. The socket is discarded; the
/// conversation's next turn opens a new one (and still sends the last response id).
/// </summary>
public sealed class ResponsesWebSocketException : Exception
{
    /// <summary>Creates the exception with a message.</summary>
    public ResponsesWebSocketException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public ResponsesWebSocketException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a close frame received mid-turn.</summary>
    public ResponsesWebSocketException(string message, WebSocketCloseStatus? closeStatus, string? closeDescription)
        : base(message)
    {
        CloseStatus = closeStatus;
        CloseDescription = closeDescription;
    }

    /// <summary>Creates the exception with no message (for serializers and the like).</summary>
    public ResponsesWebSocketException()
    {
    }

    /// <summary>The server's close code, when a close frame ended the turn; otherwise null.</summary>
    public WebSocketCloseStatus? CloseStatus { get; }

    /// <summary>The server's close reason, when a close frame ended the turn.</summary>
    public string? CloseDescription { get; }
}
