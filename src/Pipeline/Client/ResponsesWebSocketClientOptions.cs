using System.Net.WebSockets;

namespace AkkaProxy.Pipeline.Client;

/// <summary>
/// Where and how a <see cref="ResponsesWebSocketClient"/> connects. Read once, when the client is built
/// (<see cref="Validate"/> runs then); changing the object afterwards has no effect on that client.
/// </summary>
public sealed class ResponsesWebSocketClientOptions
{
    /// <summary>
    /// The Responses WebSocket endpoint, e.g. <c>wss://api.openai.com/v1/responses</c> or the relay's
    /// <c>ws://127.0.0.1:8080/v1/responses</c>. An <c>http</c>/<c>https</c> URL is accepted and dialled
    /// as <c>ws</c>/<c>wss</c>. Required.
    /// </summary>
    public Uri? Endpoint { get; set; }

    /// <summary>Sent as <c>Authorization: Bearer …</c> on every upgrade, when set (a provider key, or a relay key).</summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// Called before every connect (the first and each reconnect), after <see cref="ApiKey"/> was applied:
    /// set headers (a fresh token, <c>OpenAI-Beta</c>), subprotocols or keep-alive here. May be null.
    /// </summary>
    public Func<ClientWebSocketOptions, CancellationToken, ValueTask>? ConfigureConnection { get; set; }

    /// <summary>Longest wait to open a socket (default 10 s).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Longest wait for the next event of a turn (default 5 minutes; a reasoning model may think long
    /// before its first delta). Past it the read throws <see cref="TimeoutException"/> and the socket is
    /// discarded: the next turn reconnects.
    /// </summary>
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Longest time spent, before a turn is sent, reading away the rest of a previous turn whose
    /// enumeration stopped early (default 30 s). Past it the socket is discarded and the turn goes on a
    /// new one.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest wait for the server to answer a close frame before the socket is aborted (default 5 s).</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest event accepted (default 16 MiB); a larger one ends the turn with <see cref="ResponsesWebSocketException"/>.</summary>
    public int MaxEventBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>The clock of every timeout above (default <see cref="TimeProvider.System"/>); tests hand in a controlled one.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Throws when a value is missing or out of range, naming the setting.</summary>
    /// <exception cref="ArgumentException">A setting is missing or out of range.</exception>
    public void Validate()
    {
        if (Endpoint is null || !Endpoint.IsAbsoluteUri || Endpoint.Scheme is not ("ws" or "wss" or "http" or "https"))
        {
            throw new ArgumentException($"{nameof(Endpoint)} must be an absolute ws://, wss://, http:// or https:// URL of the Responses WebSocket endpoint (…/v1/responses).", nameof(Endpoint));
        }

        foreach ((string name, TimeSpan value) in new[] { (nameof(ConnectTimeout), ConnectTimeout), (nameof(ReadTimeout), ReadTimeout), (nameof(DrainTimeout), DrainTimeout), (nameof(CloseTimeout), CloseTimeout) })
        {
            if (value <= TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
            {
                throw new ArgumentOutOfRangeException(name, $"{name} must be positive (or Timeout.InfiniteTimeSpan).");
            }
        }

        if (MaxEventBytes < 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxEventBytes), $"{nameof(MaxEventBytes)} must be at least 1024.");
        }

        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
    }

    /// <summary>The URL to dial: <see cref="Endpoint"/> with <c>http</c>→<c>ws</c>, <c>https</c>→<c>wss</c>.</summary>
    internal Uri SocketUri() => Endpoint!.Scheme switch
    {
        "http" => new UriBuilder(Endpoint) { Scheme = "ws" }.Uri,
        "https" => new UriBuilder(Endpoint) { Scheme = "wss" }.Uri,
        _ => Endpoint,
    };
}
