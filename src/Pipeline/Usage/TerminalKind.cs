namespace AkkaProxy.Pipeline.Usage;

/// <summary>How the upstream said the response ended, as seen in the response itself.</summary>
public enum TerminalKind
{
    /// <summary>No terminal signal yet.</summary>
    None = 0,

    /// <summary>Finished normally (<c>[DONE]</c>, <c>response.completed</c>, <c>message_stop</c>, a complete JSON body).</summary>
    Completed,

    /// <summary>The response ended incomplete (<c>response.incomplete</c>, status <c>incomplete</c>).</summary>
    Incomplete,

    /// <summary>The upstream reported a failure inside the response (<c>response.failed</c>, an <c>error</c> event).</summary>
    Failed,
}
