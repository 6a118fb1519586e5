namespace AkkaProxy.Pipeline.Pooling;

/// <summary>
/// The pools of upstream sockets that carry streaming Responses requests to providers with
/// <c>transport = websocket</c> (one pool per provider and upstream credential). Defaults here;
/// <c>hocon/reference.conf</c> repeats them (<c>akkaproxy.upstream-websocket</c>) and a test checks the two agree.
/// </summary>
public sealed class UpstreamSocketPoolOptions
{
    /// <summary>Most sockets one pool keeps open, busy or idle (default 8). A request beyond it waits for a socket, up to <see cref="LeaseTimeout"/>.</summary>
    public int MaxSockets { get; set; } = 8;

    /// <summary>
    /// Age past which a socket starts no more turns (default 55 minutes): checked before each turn, an
    /// expired socket is closed and replaced. OpenAI ends a connection at 60 minutes.
    /// </summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromMinutes(55);

    /// <summary>An idle socket is closed after this long without a turn (default 5 minutes).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Longest wait for each message from the upstream during a turn (default 5 minutes); past it the socket is discarded and the turn fails.</summary>
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Longest a socket is read, after its client went away mid-turn, to reach the turn's terminal
    /// event (default 30 s). Drained in time it goes back to the pool clean; otherwise it is discarded.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest a request waits for a socket (all <see cref="MaxSockets"/> busy) or for a dial; then it goes over HTTP instead (default 10 s).</summary>
    public TimeSpan LeaseTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Conversation affinity (default on): a request with <c>previous_response_id = X</c> takes the idle
    /// socket whose last response was X, when there is one. Off, every request takes the socket idle
    /// longest (for comparison in benchmarks); hits and misses are then not counted.
    /// </summary>
    public bool Affinity { get; set; } = true;

    /// <summary>Throws when a value is out of range, naming the setting.</summary>
    public void Validate()
    {
        if (MaxSockets is < 1 or > 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxSockets), $"{nameof(MaxSockets)} must be between 1 and 1024.");
        }

        foreach ((string name, TimeSpan value) in new[]
        {
            (nameof(Lifetime), Lifetime), (nameof(IdleTimeout), IdleTimeout), (nameof(ReadTimeout), ReadTimeout),
            (nameof(DrainTimeout), DrainTimeout), (nameof(LeaseTimeout), LeaseTimeout),
        })
        {
            if (value <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(name, $"{name} must be positive.");
            }
        }
    }
}
