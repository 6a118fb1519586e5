namespace AkkaProxy.Pipeline.Client;

/// <summary>Event types and error codes the client acts on (docs/protocol-notes.md §A).</summary>
internal static class ResponsesEventTypes
{
    public const string Create = "response.create";
    public const string Completed = "response.completed";
    public const string Incomplete = "response.incomplete";
    public const string Failed = "response.failed";
    public const string Error = "error";

    /// <summary>OpenAI's 60-minute limit: the socket takes no more turns.</summary>
    public const string ConnectionLimitReached = "websocket_connection_limit_reached";
}
