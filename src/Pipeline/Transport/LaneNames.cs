namespace AkkaProxy.Pipeline.Transport;

/// <summary>The rules for <c>stream_id</c> lanes, and OpenAI's own error texts for breaking them (docs/protocol-notes.md §A).</summary>
internal static class LaneNames
{
    /// <summary>Distinct named lanes one connection may use; the default lane does not count.</summary>
    public const int MaxNamedLanes = 32;

    public const string InvalidMessage = "The 'stream_id' field must be a non-empty string with at most 256 characters and may only contain letters, numbers, underscores, hyphens, and periods.";

    public const string LimitMessage = "This WebSocket connection has reached its maximum number of distinct stream IDs (32). Reuse an existing stream_id or open a new WebSocket connection.";

    /// <summary>1–256 characters of <c>[A-Za-z0-9_.-]</c>.</summary>
    public static bool IsValid(string streamId) =>
        streamId.Length is >= 1 and <= 256 && streamId.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');
}
