using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Tests.Conformance;

/// <summary>What one input produced in our pipeline.</summary>
/// <param name="Usage">The exchange's usage after <c>Complete()</c>.</param>
/// <param name="ResponseId">The response id the usage tap captured.</param>
/// <param name="ResponseModel">The model the usage tap captured.</param>
/// <param name="Terminal">How the upstream said the response ended.</param>
/// <param name="ClientBytes">The bytes the client would have received.</param>
/// <param name="DecodedRaw">For SSE: every decoded frame's raw bytes, concatenated (the decoder's own pass-through).</param>
/// <param name="Unreadable">Whether the usage tap could not read some event's data as JSON (relayed unchanged, not billed).</param>
/// <param name="LastFacts">The facts of the last frame the usage tap read.</param>
/// <param name="SawDoneMarker">Whether a frame was the <c>[DONE]</c> terminator.</param>
internal sealed record DriveResult(
    TokenUsage Usage,
    string? ResponseId,
    string? ResponseModel,
    TerminalKind Terminal,
    byte[] ClientBytes,
    byte[] DecodedRaw,
    bool Unreadable,
    EventFacts LastFacts,
    bool SawDoneMarker);
