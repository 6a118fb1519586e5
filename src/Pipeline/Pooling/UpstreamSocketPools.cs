using System.Collections.Concurrent;
using Akka.Actor;
using AkkaProxy.Pipeline.Actors;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AkkaProxy.Pipeline.Pooling;

/// <summary>
/// The upstream socket pools of a relay: one <see cref="SocketPoolActor"/> per provider and upstream
/// credential, started on first use. Thread-safe.
/// </summary>
internal sealed class UpstreamSocketPools : IAsyncDisposable
{
    private readonly ActorSystem _system;
    private readonly IUpstreamWebSocketDialer _dialer;
    private readonly WebSocketRelayOptions _limits;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<(string Provider, string? Credential), IActorRef> _pools = new();
    private int _started;

    public UpstreamSocketPools(ActorSystem system, IUpstreamWebSocketDialer dialer, UpstreamSocketPoolOptions options, WebSocketRelayOptions limits, TimeProvider time, ILogger? logger = null)
    {
        options.Validate();
        _system = system;
        _dialer = dialer;
        Options = options;
        _limits = limits;
        Time = time;
        _logger = logger ?? NullLogger.Instance;
    }

    public UpstreamSocketPoolOptions Options { get; }

    public TimeProvider Time { get; }

    public SocketPoolCounters Counters { get; } = new();

    /// <summary>Where the pools tell which response ids their idle sockets hold, for affinity across relay nodes; null on one node.</summary>
    public ISocketAffinityDirectory? Directory { get; init; }

    /// <summary>
    /// Leases a socket of <paramref name="provider"/>'s pool, waiting at most the lease timeout.
    /// The caller owns it until <see cref="Release"/>.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    public async Task<SocketLease> LeaseAsync(Provider provider, string? previousResponseId, bool fresh, CancellationToken cancellationToken)
    {
        var reply = new TaskCompletionSource<SocketLease>(TaskCreationOptions.RunContinuationsAsynchronously);
        IActorRef pool = PoolOf(provider);
        pool.Tell(new SocketPoolActor.Lease(previousResponseId, fresh, reply));
        try
        {
            return await reply.Task.WaitAsync(Options.LeaseTimeout, Time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            if (reply.TrySetCanceled())
            {
                if (ex is OperationCanceledException)
                {
                    throw;
                }

                return SocketLease.Failed(new TimeoutException($"No socket of provider '{provider.Name}' was free within {Options.LeaseTimeout.TotalSeconds:0.#} s."));
            }

            // The socket arrived as the wait ended: it is this caller's, to use or give back.
            SocketLease late = reply.Task.Result;
            if (ex is OperationCanceledException)
            {
                if (late.Socket is not null)
                {
                    Release(provider, late.Socket, reusable: true);
                }

                throw; // the caller is gone: neither a socket nor a fallback for it
            }

            return late;
        }
    }

    /// <summary>Logs a socket turn's pump that failed with an exception no socket failure explains (a bug).</summary>
    internal void LogPumpFailure(Provider provider, Exception failure) =>
        _logger.LogError(failure, "A socket turn to provider {Provider} failed unexpectedly; its socket was discarded.", provider.Name);

    /// <summary>Gives a leased socket back: <paramref name="reusable"/> only when its turn reached its terminal event.</summary>
    public void Release(Provider provider, PooledSocket socket, bool reusable) =>
        PoolOf(provider).Tell(new SocketPoolActor.Release(socket, reusable));

    /// <summary>Closes every pool's idle sockets (a busy socket is closed when its turn gives it back) and takes no more leases.</summary>
    public async Task CloseAllAsync()
    {
        if (_system.WhenTerminated.IsCompleted)
        {
            return; // the pools stopped with the actor system, their sockets with them
        }

        List<Task> closing = [];
        foreach (IActorRef pool in _pools.Values)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            pool.Tell(new SocketPoolActor.CloseAll(done));
            closing.Add(done.Task);
        }

        await Task.WhenAll(closing).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_system.WhenTerminated.IsCompleted)
        {
            await CloseAllAsync().ConfigureAwait(false);
            foreach (IActorRef pool in _pools.Values)
            {
                _system.Stop(pool);
            }
        }
    }

    private IActorRef PoolOf(Provider provider)
    {
        (string, string?) key = (provider.Name, provider.ApiKey);
        if (_pools.TryGetValue(key, out IActorRef? pool))
        {
            return pool;
        }

        lock (_pools)
        {
            // Under the lock, so two first requests at once start one pool, not two.
            // Under /user/akkaproxy/socket-pools, whose strategy restarts a failed pool with its state.
            return _pools.GetOrAdd(key, _ =>
            {
                var state = new SocketPoolState();
                return RelayActors.SpawnUnder(
                    RelayActors.For(_system).SocketPools,
                    Props.Create(() => new SocketPoolActor(state, provider, _dialer, Options, _limits, Time, Counters, _logger, Directory)),
                    $"upstream-websocket-{++_started}");
            });
        }
    }
}
