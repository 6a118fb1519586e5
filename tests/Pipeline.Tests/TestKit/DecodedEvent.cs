namespace AkkaProxy.Pipeline.Tests.TestKit;

/// <summary>What a test expects of one decoded SSE event.</summary>
public sealed record DecodedEvent(string Raw, string EventName, string? Data);
