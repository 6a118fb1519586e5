namespace AkkaProxy.Pipeline.Transport;

/// <summary>Limits and timeouts of Responses WebSocket mode. Defaults here; <c>hocon/reference.conf</c> repeats them.</summary>
public sealed class WebSocketRelayOptions
{
    /// <summary>Largest message accepted from either side (default 16 MiB). Past it the socket closes with 1009.</summary>
    public int MaxMessageBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>No message in either direction for this long closes both sockets with 1001 (default 10 minutes).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>WebSocket ping interval towards the upstream and the client; zero turns pings off (the default).</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.Zero;

    /// <summary>Longest wait to open the upstream socket (default 10 s).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest wait for a peer to answer a close frame before the socket is aborted (default 5 s).</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Pooled receive buffer borrowed per message and direction (default 4 KiB); larger messages borrow
    /// larger pooled buffers. An idle socket holds none: it waits with a zero-byte receive.
    /// </summary>
    public int ReceiveBufferBytes { get; set; } = 4 * 1024;

    /// <summary>
    /// <c>response.create</c> turns one socket may have waiting for their results (default 64; OpenAI
    /// runs 16 at a time and queues the rest). One more gets an error event.
    /// </summary>
    public int MaxOpenTurns { get; set; } = 64;

    /// <summary>Throws when a value is out of range, naming the setting.</summary>
    public void Validate()
    {
        if (MaxMessageBytes < 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxMessageBytes), $"{nameof(MaxMessageBytes)} must be at least 1024.");
        }

        if (IdleTimeout <= TimeSpan.Zero || ConnectTimeout <= TimeSpan.Zero || CloseTimeout <= TimeSpan.Zero || KeepAliveInterval < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(IdleTimeout), "WebSocket timeouts must be positive (keep-alive may be zero: off).");
        }

        if (MaxOpenTurns < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxOpenTurns), $"{nameof(MaxOpenTurns)} must be at least 1.");
        }

        if (ReceiveBufferBytes is < 256 or > 1024 * 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(ReceiveBufferBytes), $"{nameof(ReceiveBufferBytes)} must be between 256 and 1048576.");
        }
    }
}
