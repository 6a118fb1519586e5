namespace AkkaProxy.Pipeline;

/// <summary>Limits and timeouts of every run. Defaults are written here once; <c>hocon/reference.conf</c> repeats them and a test checks the two agree.</summary>
public sealed class ProxyStreamOptions
{
    /// <summary>Largest SSE event, WebSocket message or split JSON token accepted (default 16 MiB). Past it the stream ends with an error.</summary>
    public long MaxEventBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Largest request body accepted (default 32 MiB); larger gets 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>How long a stream may go with no byte read or written before it is ended (default 10 minutes). Resets on every read and write; a stream's total length is not capped.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long to wait for the upstream's response headers (default 10 minutes: non-streaming reasoning requests are slow). Past it: 504.</summary>
    public TimeSpan UpstreamResponseTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long to wait for a TCP/TLS connection to the upstream (default 10 s). Past it: 502.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Size of each read from the upstream (default 16 KiB).</summary>
    public int ReadBufferBytes { get; set; } = 16 * 1024;

    /// <summary>
    /// Idle connection graphs the relay keeps for new connections (default 64): a connection that closes
    /// gives its graph back, and the next one takes it instead of materializing one. 0 keeps none.
    /// </summary>
    public int IdleGraphs { get; set; } = 64;

    /// <summary>Throws when a value is out of range, naming the setting.</summary>
    public void Validate()
    {
        Require(MaxEventBytes >= 1024, nameof(MaxEventBytes), "at least 1024");
        Require(MaxRequestBodyBytes >= 1024, nameof(MaxRequestBodyBytes), "at least 1024");
        Require(IdleTimeout > TimeSpan.Zero, nameof(IdleTimeout), "positive");
        Require(UpstreamResponseTimeout > TimeSpan.Zero, nameof(UpstreamResponseTimeout), "positive");
        Require(ConnectTimeout > TimeSpan.Zero, nameof(ConnectTimeout), "positive");
        Require(ReadBufferBytes is >= 512 and <= 1024 * 1024, nameof(ReadBufferBytes), "between 512 and 1048576");
        Require(IdleGraphs is >= 0 and <= 65536, nameof(IdleGraphs), "between 0 and 65536");
    }

    private static void Require(bool ok, string name, string rule)
    {
        if (!ok)
        {
            throw new ArgumentOutOfRangeException(name, $"{name} must be {rule}.");
        }
    }
}
