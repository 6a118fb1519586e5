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

    /// <summary>
    /// The provider a client's upgrade without <c>?model=</c> is bound to (default none). With one set,
    /// the relay dials it before answering the upgrade, so the provider's handshake response headers
    /// reach the client's <c>101</c> (clients such as Codex read <c>x-codex-turn-state</c> there), and
    /// the session's turns go to that provider. Without one, such a session dials at its first
    /// <c>response.create</c>, whose model routes it, and its <c>101</c> carries no upstream headers.
    /// An upgrade with <c>?model=</c> is always dialled ahead, to the provider its model routes to.
    /// </summary>
    public string UpgradeProvider { get; set; } = "";

    /// <summary>
    /// Whether the relay accepts <c>permessage-deflate</c> (RFC 7692) when a client offers it (default
    /// on). Compressed messages cost CPU and a compressor's memory per socket; see docs/benchmarks.md.
    /// </summary>
    public bool Compression { get; set; } = true;

    /// <summary>
    /// Whether the relay keeps its compressor towards a client from one message to the next (default
    /// off). Kept, messages compress better (each event refers back to the ones before it), and the
    /// socket holds about 256 KiB of zlib state for its life, idle or not; not kept, each message is
    /// compressed on its own and the state is released after it.
    /// </summary>
    public bool CompressionContextTakeover { get; set; }

    /// <summary>
    /// Whether the relay offers <c>permessage-deflate</c> to upstreams, used when one accepts it (default
    /// on). The relay compresses each of its own messages on its own (it sends few), and lets the
    /// upstream keep its context, so the stream of events compresses well and the relay keeps only a
    /// decompressor's 32 KiB window per socket.
    /// </summary>
    public bool UpstreamCompression { get; set; } = true;

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
