using System.Net.WebSockets;
using Akka.Actor;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Transport;
using Microsoft.Extensions.Logging;

namespace AkkaProxy.Pipeline.Pooling;

/// <summary>
/// Owns the upstream sockets of one provider and credential. Callers lease a socket, use it alone for
/// one turn and give it back; the actor's mailbox orders every lease and release, so a socket is never
/// held by two callers (one response in flight per socket, on the default lane):
/// <code>
///   Lease(prev) ──▶ an idle socket that produced prev (affinity) ─▶ any idle socket ─▶ dial one (below max)
///                   ─▶ or wait in line (the caller's own timeout bounds the wait)
///   Release(s)  ──▶ idle again (open, not expired) ─▶ or closed; the next waiter is served
///   Sweep       ──▶ idle sockets past the idle timeout or their lifetime are closed
/// </code>
/// Expiry is checked before a socket starts a turn; time comes from the injected <see cref="TimeProvider"/>.
/// </summary>
internal sealed class SocketPoolActor : ReceiveActor
{
    /// <summary>At most this many callers wait for a socket; one more fails at once.</summary>
    internal const int MaxWaiting = 1024;

    private readonly Provider _provider;
    private readonly IUpstreamWebSocketDialer _dialer;
    private readonly UpstreamSocketPoolOptions _options;
    private readonly WebSocketRelayOptions _limits;
    private readonly TimeProvider _time;
    private readonly SocketPoolCounters _counters;
    private readonly ILogger _logger;
    private readonly SocketPoolState _state;
    private readonly List<PooledSocket> _idle;
    private readonly HashSet<PooledSocket> _out; // leased: disposed if the pool stops before they come back
    private readonly LinkedList<Lease> _waiting;
    private readonly ISocketAffinityDirectory? _directory;
    private ITimer? _sweep;

    public SocketPoolActor(SocketPoolState state, Provider provider, IUpstreamWebSocketDialer dialer, UpstreamSocketPoolOptions options, WebSocketRelayOptions limits, TimeProvider time, SocketPoolCounters counters, ILogger logger, ISocketAffinityDirectory? directory = null)
    {
        _directory = directory;
        // The state outlives this incarnation: a restart (RelayStrategies.SocketPools) builds the actor anew over it.
        _state = state;
        _idle = state.Idle;
        _out = state.Out;
        _waiting = state.Waiting;
        _provider = provider;
        _dialer = dialer;
        _options = options;
        _limits = limits;
        _time = time;
        _counters = counters;
        _logger = logger;
        Receive<Lease>(OnLease);
        Receive<Release>(OnRelease);
        Receive<Dialled>(OnDialled);
        Receive<Sweep>(_ => OnSweep());
        Receive<CloseAll>(OnCloseAll);
    }

    /// <summary>Asks for a socket. <paramref name="Fresh"/>: a newly dialled one (the last one was broken).</summary>
    internal sealed record Lease(string? PreviousResponseId, bool Fresh, TaskCompletionSource<SocketLease> Reply);

    /// <summary>Gives a leased socket back: <paramref name="Reusable"/> when its turn reached its terminal event.</summary>
    internal sealed record Release(PooledSocket Socket, bool Reusable);

    /// <summary>Closes every idle socket and takes no more leases; replies when they are closed.</summary>
    internal sealed record CloseAll(TaskCompletionSource Done);

    private sealed record Dialled(WebSocket? Socket, Exception? Failure, Lease For);

    private sealed record Sweep
    {
        public static readonly Sweep Instance = new();
    }

    protected override void PreStart()
    {
        IActorRef self = Self;
        TimeSpan period = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, Math.Min(_options.IdleTimeout.Ticks, _options.Lifetime.Ticks) / 4));
        _sweep = _time.CreateTimer(_ => self.Tell(Sweep.Instance), null, period, period);
    }

    /// <summary>
    /// A failure restarts the actor over the same <see cref="SocketPoolState"/>: only this incarnation's
    /// sweep timer goes (the base would call <see cref="PostStop"/>, which disposes every socket).
    /// </summary>
    protected override void PreRestart(Exception reason, object message)
    {
        _sweep?.Dispose();
        _logger.LogError(reason, "The socket pool of provider {Provider} failed on {Message}; it goes on with its sockets.", _provider.Name, message?.GetType().Name);
    }

    protected override void PostStop()
    {
        _sweep?.Dispose();
        _state.Stopping.Cancel();
        foreach (PooledSocket socket in _idle)
        {
            Discard(socket);
        }

        _idle.Clear();
        foreach (PooledSocket socket in _out)
        {
            Discard(socket); // a turn still on it (a drain past the host's stop) ends with the socket's failure
        }

        _out.Clear();
        foreach (Lease waiter in _waiting)
        {
            waiter.Reply.TrySetResult(SocketLease.Failed(new InvalidOperationException("The socket pool stopped.")));
        }

        _state.Stopping.Dispose();
    }

    private int Total => _idle.Count + _state.Leased + _state.Dialing;

    private void OnLease(Lease lease)
    {
        if (_state.Closed)
        {
            lease.Reply.TrySetResult(SocketLease.Failed(new InvalidOperationException("The socket pool is closed.")));
            return;
        }

        if (!TryServe(lease))
        {
            if (_waiting.Count >= MaxWaiting)
            {
                PruneWaiting(); // callers that gave up make room before anyone is refused
            }

            if (_waiting.Count >= MaxWaiting)
            {
                lease.Reply.TrySetResult(SocketLease.Failed(new InvalidOperationException($"{MaxWaiting} requests already wait for a socket of provider '{_provider.Name}'.")));
                return;
            }

            _waiting.AddLast(lease);
        }
    }

    /// <summary>Serves <paramref name="lease"/> now (an idle socket, or a dial), or says it must wait.</summary>
    private bool TryServe(Lease lease)
    {
        if (lease.Reply.Task.IsCompleted)
        {
            return true; // the caller gave up waiting: nothing to serve
        }

        DropUnusableIdle();
        if (!lease.Fresh && _idle.Count > 0)
        {
            // Affinity first: the socket whose last response the request continues.
            bool affinity = _options.Affinity && lease.PreviousResponseId is not null && !lease.Fresh;
            int index = affinity ? _idle.FindIndex(s => s.LastResponseId == lease.PreviousResponseId) : -1;
            bool hit = index >= 0;
            if (affinity)
            {
                _counters.Affinity(hit);
            }

            // Otherwise the socket idle longest: the recently used ones keep their conversations warm.
            index = hit ? index : OldestIdle();
            PooledSocket socket = _idle[index];
            _idle.RemoveAt(index);
            Hand(lease, socket, hit);
            return true;
        }

        if (Total >= _options.MaxSockets && _idle.Count > 0)
        {
            // A fresh socket is wanted at the maximum: make room by closing the socket idle longest.
            int oldest = OldestIdle();
            Discard(_idle[oldest]);
            _idle.RemoveAt(oldest);
        }

        if (Total >= _options.MaxSockets)
        {
            return false;
        }

        if (_options.Affinity && lease.PreviousResponseId is not null && !lease.Fresh)
        {
            _counters.Affinity(false); // a redial after a broken socket was counted by the first lease
        }

        Dial(lease);
        return true;
    }

    private void Hand(Lease lease, PooledSocket socket, bool hit)
    {
        if (lease.Reply.TrySetResult(new SocketLease(socket, hit, null)))
        {
            _state.Leased++;
            _out.Add(socket);
            Forget(socket); // its next turn replaces the response it held
        }
        else
        {
            _idle.Add(socket); // the caller gave up meanwhile: the socket stays in the pool
        }
    }

    private void Dial(Lease lease)
    {
        var handshake = new WebSocketHandshake(null, []);
        Task<WebSocket> dial;
        try
        {
            dial = _dialer.ConnectAsync(_provider, handshake, null, _state.Stopping.Token).AsTask();
        }
        catch (Exception ex)
        {
            dial = Task.FromException<WebSocket>(ex); // a dialer that throws at once fails this lease, not the pool
        }

        _state.Dialing++;
        dial.PipeTo(
            Self,
            success: socket => new Dialled(socket, null, lease),
            failure: ex => new Dialled(null, ex, lease));
    }

    private void OnDialled(Dialled dialled)
    {
        _state.Dialing--;
        if (dialled.Socket is null)
        {
            _logger.LogWarning(dialled.Failure, "Could not open a socket to provider {Provider}.", _provider.Name);
            dialled.For.Reply.TrySetResult(SocketLease.Failed(dialled.Failure ?? new WebSocketException("The dial failed.")));
            ServeWaiting();
            return;
        }

        UpgradeResponseHeaders.Take(dialled.Socket); // a pooled socket serves many requests: no one upgrade's headers are theirs
        var socket = new PooledSocket(++_state.NextId, dialled.Socket, _limits, _time.GetUtcNow());
        _counters.SocketOpened();
        if (_state.Closed)
        {
            dialled.For.Reply.TrySetResult(SocketLease.Failed(new InvalidOperationException("The socket pool is closed.")));
            Discard(socket);
            return;
        }

        Hand(dialled.For, socket, hit: false);
        ServeWaiting();
    }

    private void OnRelease(Release release)
    {
        _state.Leased--;
        PooledSocket socket = release.Socket;
        _out.Remove(socket);
        if (release.Reusable && !_state.Closed && socket.IsOpen && !socket.IsExpired(_time.GetUtcNow(), _options.Lifetime))
        {
            socket.LastUsedAt = _time.GetUtcNow();
            _idle.Add(socket);
            if (socket.LastResponseId is { } held)
            {
                _ = _directory?.Holds(held); // other relay nodes send its continuations here
            }
        }
        else if (release.Reusable)
        {
            Close(socket, _time.GetUtcNow()); // clean, but expired (or the pool closed): a close handshake
        }
        else
        {
            Discard(socket); // left mid-turn or broken: never reused
        }

        ServeWaiting();
    }

    private void ServeWaiting()
    {
        while (_waiting.First is { } first && TryServe(first.Value))
        {
            _waiting.RemoveFirst();
        }
    }

    private void OnSweep()
    {
        DateTimeOffset now = _time.GetUtcNow();
        for (int i = _idle.Count - 1; i >= 0; i--)
        {
            PooledSocket socket = _idle[i];
            if (now - socket.LastUsedAt >= _options.IdleTimeout || socket.IsExpired(now, _options.Lifetime) || !socket.IsOpen)
            {
                _idle.RemoveAt(i);
                Close(socket, now);
            }
        }

        // A waiter whose caller gave up is dropped here too, so the line never holds the dead.
        PruneWaiting();
    }

    private void PruneWaiting()
    {
        for (LinkedListNode<Lease>? node = _waiting.First; node is not null;)
        {
            LinkedListNode<Lease>? next = node.Next;
            if (node.Value.Reply.Task.IsCompleted)
            {
                _waiting.Remove(node);
            }

            node = next;
        }
    }

    private void OnCloseAll(CloseAll close)
    {
        _state.Closed = true;
        Task[] closing = [.. _idle.Select(socket => CloseAsync(socket, WebSocketCloseStatus.EndpointUnavailable, "relay shutting down"))];
        _idle.Clear();
        foreach (Lease waiter in _waiting)
        {
            waiter.Reply.TrySetResult(SocketLease.Failed(new InvalidOperationException("The socket pool is closed.")));
        }

        _waiting.Clear();
        Task.WhenAll(closing).ContinueWith(_ => close.Done.TrySetResult(), TaskScheduler.Default);
    }

    /// <summary>Closes idle sockets that cannot start a turn: expired (checked before every turn) or no longer open.</summary>
    private void DropUnusableIdle()
    {
        DateTimeOffset now = _time.GetUtcNow();
        for (int i = _idle.Count - 1; i >= 0; i--)
        {
            if (_idle[i].IsExpired(now, _options.Lifetime) || !_idle[i].IsOpen)
            {
                PooledSocket socket = _idle[i];
                _idle.RemoveAt(i);
                Close(socket, now);
            }
        }
    }

    private void Close(PooledSocket socket, DateTimeOffset now)
    {
        bool expired = socket.IsExpired(now, _options.Lifetime);
        if (expired)
        {
            _counters.SocketExpired();
        }

        _ = CloseAsync(socket, WebSocketCloseStatus.NormalClosure, expired ? "lifetime reached" : "idle");
    }

    /// <summary>The socket no longer holds its last response for a continuation from another node.</summary>
    private void Forget(PooledSocket socket)
    {
        if (socket.LastResponseId is { } held)
        {
            _directory?.Released(held);
        }
    }

    private Task CloseAsync(PooledSocket socket, WebSocketCloseStatus status, string reason)
    {
        Forget(socket);
        _counters.SocketClosed();
        return socket.CloseAsync(status, reason, _limits.CloseTimeout);
    }

    private void Discard(PooledSocket socket)
    {
        Forget(socket);
        _counters.SocketClosed();
        socket.Dispose();
    }

    private int OldestIdle()
    {
        int oldest = 0;
        for (int i = 1; i < _idle.Count; i++)
        {
            if (_idle[i].LastUsedAt < _idle[oldest].LastUsedAt)
            {
                oldest = i;
            }
        }

        return oldest;
    }
}
