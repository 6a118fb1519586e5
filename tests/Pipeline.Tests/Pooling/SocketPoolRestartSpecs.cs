using System.Net.WebSockets;
using AkkaProxy.Pipeline.Pooling;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Tests.TestKit;
using AkkaProxy.Pipeline.Transport;

namespace AkkaProxy.Pipeline.Tests.Pooling;

/// <summary>A socket pool actor that throws is restarted by its parent with its state: leased sockets live on and <c>max-sockets</c> still holds.</summary>
public sealed class SocketPoolRestartSpecs : Akka.TestKit.Xunit2.TestKit
{
    public SocketPoolRestartSpecs() : base("akka.loglevel = OFF")
    {
    }

    [Fact]
    public async Task APoolThatThrowsWhileSocketsAreLeased_KeepsThemAndItsLimit()
    {
        var clock = new FailingClock();
        var dialer = new PairDialer();
        var options = new UpstreamSocketPoolOptions { MaxSockets = 2, LeaseTimeout = TimeSpan.FromSeconds(1) };
        await using var pools = new UpstreamSocketPools(Sys, dialer, options, new WebSocketRelayOptions(), clock);
        Assert.True(Exchanges.Router.TryResolve("openai/gpt-4o", out ProviderRoute route, out _));
        Provider provider = route.Provider;

        SocketLease first = await pools.LeaseAsync(provider, null, fresh: false, CancellationToken.None);
        Assert.NotNull(first.Socket);

        // The next lease meets a bug (the injected clock throws inside the actor): the actor restarts.
        clock.FailNextRead();
        SocketLease lost = await pools.LeaseAsync(provider, null, fresh: false, CancellationToken.None);
        Assert.IsType<TimeoutException>(lost.Failure); // the message that failed is lost; its caller's timeout ends it
        Assert.True(clock.Failed);

        // The leased socket was not disposed, and the pool still counts it.
        Assert.True(first.Socket.IsOpen);
        Assert.Equal(1, pools.Counters.Open);

        SocketLease second = await pools.LeaseAsync(provider, null, fresh: false, CancellationToken.None);
        Assert.NotNull(second.Socket);
        Assert.NotEqual(first.Socket.Id, second.Socket.Id);

        // At max-sockets (2 leased) the next caller waits: with its counts reset, the pool would dial a third.
        Task<SocketLease> third = pools.LeaseAsync(provider, null, fresh: false, CancellationToken.None);
        pools.Release(provider, first.Socket, reusable: true); // after the lease, in the same mailbox
        SocketLease served = await third;
        Assert.Same(first.Socket, served.Socket);
        Assert.Equal(2, dialer.Dials);
        Assert.Equal(2, pools.Counters.Open);
    }

    /// <summary>The system clock, whose next read can be made to throw once.</summary>
    private sealed class FailingClock : TimeProvider
    {
        private int _armed;

        public bool Failed { get; private set; }

        public void FailNextRead() => Volatile.Write(ref _armed, 1);

        public override DateTimeOffset GetUtcNow()
        {
            if (Interlocked.Exchange(ref _armed, 0) == 1)
            {
                Failed = true;
                throw new InvalidOperationException("clock bug");
            }

            return System.GetUtcNow();
        }
    }

    /// <summary>Dials in-memory socket pairs.</summary>
    private sealed class PairDialer : IUpstreamWebSocketDialer
    {
        private readonly List<SocketPair> _pairs = [];
        private int _dials;

        public int Dials => Volatile.Read(ref _dials);

        public ValueTask<WebSocket> ConnectAsync(Provider provider, WebSocketHandshake handshake, string? upstreamModel, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _dials);
            var pair = SocketPair.Create();
            lock (_pairs)
            {
                _pairs.Add(pair);
            }

            return ValueTask.FromResult(pair.Relay);
        }
    }
}
