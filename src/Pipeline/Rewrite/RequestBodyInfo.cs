namespace AkkaProxy.Pipeline.Rewrite;

/// <summary>Where the fields the relay reads or edits sit in a request body (byte offsets into it).</summary>
internal readonly record struct RequestBodyInfo
{
    /// <summary>The unescaped model name, or null when absent.</summary>
    public string? Model { get; init; }

    /// <summary>Offset and length of the model's string token, quotes included.</summary>
    public Range ModelToken { get; init; }

    /// <summary>Whether <c>"stream": true</c>.</summary>
    public bool Stream { get; init; }

    /// <summary>Offset of the <c>{</c> opening the top-level object.</summary>
    public int RootStart { get; init; }

    /// <summary>Whether the top-level object has no members.</summary>
    public bool RootIsEmpty { get; init; }

    /// <summary>Offset of the <c>{</c> of <c>stream_options</c>, or -1 when it is absent or not an object.</summary>
    public int StreamOptionsStart { get; init; }

    /// <summary>Whether <c>stream_options</c> is an empty object.</summary>
    public bool StreamOptionsIsEmpty { get; init; }

    /// <summary>Offset and length of the <c>include_usage</c> value token, or null when absent.</summary>
    public Range? IncludeUsageToken { get; init; }

    /// <summary>Whether <c>stream_options.include_usage</c> is <c>true</c>.</summary>
    public bool IncludeUsage { get; init; }

    /// <summary>The top-level <c>type</c> string (WebSocket client events: <c>response.create</c>), or null.</summary>
    public string? Type { get; init; }

    /// <summary>The top-level <c>stream_id</c> string (a WebSocket lane), or null.</summary>
    public string? StreamId { get; init; }

    /// <summary>The top-level <c>previous_response_id</c> string, or null.</summary>
    public string? PreviousResponseId { get; init; }

    /// <summary>Whether a <c>stream_options</c> member exists with a value that is not an object (null, say).</summary>
    public Range? StreamOptionsNonObjectToken { get; init; }
}
