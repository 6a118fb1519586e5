namespace AkkaProxy.Pipeline.Transport;

/// <summary>What the client's upgrade request said that the session needs.</summary>
/// <param name="KeyId">The authenticated relay key's id, or null when the relay is open.</param>
/// <param name="ForwardedHeaders">Headers to repeat on the upstream upgrade, unchanged: those an HTTP request would forward (never keys, cookies or hop-by-hop headers).</param>
/// <param name="Model">The <c>?model=</c> of the upgrade, if any; it routes the socket before the first message.</param>
public sealed record WebSocketHandshake(string? KeyId, IReadOnlyList<KeyValuePair<string, string>> ForwardedHeaders, string? Model = null);
