namespace AkkaProxy.Pipeline.Pooling;

/// <summary>Whether an upstream socket message ends the turn on the default lane, and how (protocol-notes §A: one of three terminal events, or an error).</summary>
internal enum SocketEventKind
{
    /// <summary>Any event that does not end the turn.</summary>
    Other = 0,
    Completed,
    Incomplete,
    Failed,
    Error,
}
