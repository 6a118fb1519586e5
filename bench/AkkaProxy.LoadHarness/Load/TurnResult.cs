namespace AkkaProxy.LoadHarness.Load;

/// <summary>One WebSocket turn as the client saw it (Stopwatch timestamps).</summary>
public readonly record struct TurnResult(long Sent, long FirstEvent, long Completed, int Events);
