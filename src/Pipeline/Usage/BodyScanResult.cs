namespace AkkaProxy.Pipeline.Usage;

/// <summary>What a non-streaming body turned out to be.</summary>
internal enum BodyScanResult
{
    /// <summary>Not finished yet.</summary>
    Pending = 0,

    /// <summary>One complete JSON document.</summary>
    Complete,

    /// <summary>Valid JSON that stopped before its end.</summary>
    Truncated,

    /// <summary>Not JSON (or a token over the size limit).</summary>
    NotJson,
}
