using System.Net.WebSockets;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Transport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaProxy.Host.Tests.TestKit;

/// <summary>
/// Watches both sides of the relay's WebSocket sessions without changing them: the upstream socket
/// the relay's own dialer opens (every receive the relay makes on it) and the client connection the
/// relay writes to (the upgraded stream under the client's WebSocket: every write in progress). From
/// the two it counts the upstream receives the relay started while a write to its client was still
/// pending, which is how a relay that buffers for a slow client would show.
/// </summary>
public sealed class WebSocketProbe
{
    private int _clientWrites;
    private int _upstreamReceives;
    private long _receivesStarted;
    private long _receivesWhileClientWrite;
    private long _clientBytes;

    /// <summary>Signalled at every change; a test may signal it for its own state too.</summary>
    public Pulse Changed { get; } = new();

    /// <summary>Writes to a client connection in progress now.</summary>
    public int ClientWritesInProgress => Volatile.Read(ref _clientWrites);

    /// <summary>Bytes written to client connections (frames included).</summary>
    public long ClientBytesWritten => Interlocked.Read(ref _clientBytes);

    /// <summary>Receives on an upstream socket in progress now.</summary>
    public int UpstreamReceivesInProgress => Volatile.Read(ref _upstreamReceives);

    /// <summary>Receives on an upstream socket the relay started so far.</summary>
    public long UpstreamReceivesStarted => Interlocked.Read(ref _receivesStarted);

    /// <summary>Upstream receives the relay started while a write to a client was pending.</summary>
    public long UpstreamReceivesWhileClientWritePending => Interlocked.Read(ref _receivesWhileClientWrite);

    /// <summary>Routes the relay's upstream dialling and its client upgrades through this probe.</summary>
    public void Register(IServiceCollection services)
    {
        services.AddSingleton<IUpstreamWebSocketDialer>(sp => new Dialer(new Http1WebSocketDialer(sp.GetRequiredService<WebSocketRelayOptions>()), this));
        services.AddSingleton<IStartupFilter>(new Filter(this));
    }

    private void UpstreamReceiveStarted()
    {
        Interlocked.Increment(ref _receivesStarted);
        if (Volatile.Read(ref _clientWrites) > 0)
        {
            Interlocked.Increment(ref _receivesWhileClientWrite);
        }

        Interlocked.Increment(ref _upstreamReceives);
        Changed.Signal();
    }

    private void UpstreamReceiveEnded()
    {
        Interlocked.Decrement(ref _upstreamReceives);
        Changed.Signal();
    }

    private void ClientWriteStarted()
    {
        Interlocked.Increment(ref _clientWrites);
        Changed.Signal();
    }

    private void ClientWriteEnded(int bytes)
    {
        Interlocked.Add(ref _clientBytes, bytes);
        Interlocked.Decrement(ref _clientWrites);
        Changed.Signal();
    }

    private sealed class Dialer(Http1WebSocketDialer inner, WebSocketProbe probe) : IUpstreamWebSocketDialer
    {
        public async ValueTask<WebSocket> ConnectAsync(Provider provider, WebSocketHandshake handshake, string? upstreamModel, CancellationToken cancellationToken) =>
            new ObservedUpstream(await inner.ConnectAsync(provider, handshake, upstreamModel, cancellationToken), probe);
    }

    private sealed class ObservedUpstream(WebSocket inner, WebSocketProbe probe) : WebSocket
    {
        public override WebSocketCloseStatus? CloseStatus => inner.CloseStatus;

        public override string? CloseStatusDescription => inner.CloseStatusDescription;

        public override WebSocketState State => inner.State;

        public override string? SubProtocol => inner.SubProtocol;

        public override void Abort() => inner.Abort();

        public override Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) => inner.CloseAsync(closeStatus, statusDescription, cancellationToken);

        public override Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) => inner.CloseOutputAsync(closeStatus, statusDescription, cancellationToken);

        public override void Dispose() => inner.Dispose();

        public override async Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken)
        {
            probe.UpstreamReceiveStarted();
            try
            {
                return await inner.ReceiveAsync(buffer, cancellationToken);
            }
            finally
            {
                probe.UpstreamReceiveEnded();
            }
        }

        public override async ValueTask<ValueWebSocketReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            probe.UpstreamReceiveStarted();
            try
            {
                return await inner.ReceiveAsync(buffer, cancellationToken);
            }
            finally
            {
                probe.UpstreamReceiveEnded();
            }
        }

        public override Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken) =>
            inner.SendAsync(buffer, messageType, endOfMessage, cancellationToken);

        public override ValueTask SendAsync(ReadOnlyMemory<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken) =>
            inner.SendAsync(buffer, messageType, endOfMessage, cancellationToken);

        public override ValueTask SendAsync(ReadOnlyMemory<byte> buffer, WebSocketMessageType messageType, WebSocketMessageFlags messageFlags, CancellationToken cancellationToken) =>
            inner.SendAsync(buffer, messageType, messageFlags, cancellationToken);
    }

    private sealed class Filter(WebSocketProbe probe) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade)
                {
                    context.Features.Set<IHttpUpgradeFeature>(new ObservedUpgrade(upgrade, probe));
                }

                return nextMiddleware(context);
            });
            next(app);
        };
    }

    private sealed class ObservedUpgrade(IHttpUpgradeFeature inner, WebSocketProbe probe) : IHttpUpgradeFeature
    {
        public bool IsUpgradableRequest => inner.IsUpgradableRequest;

        public async Task<Stream> UpgradeAsync() => new ObservedClientStream(await inner.UpgradeAsync(), probe);
    }

    /// <summary>The client connection under the relay's WebSocket: reads pass through; writes are watched.</summary>
    private sealed class ObservedClientStream(Stream inner, WebSocketProbe probe) : Stream
    {
        public override bool CanRead => inner.CanRead;

        public override bool CanSeek => false;

        public override bool CanWrite => inner.CanWrite;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            probe.ClientWriteStarted();
            try
            {
                await inner.WriteAsync(buffer, cancellationToken);
            }
            finally
            {
                probe.ClientWriteEnded(buffer.Length);
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

        public override async Task FlushAsync(CancellationToken cancellationToken)
        {
            probe.ClientWriteStarted();
            try
            {
                await inner.FlushAsync(cancellationToken);
            }
            finally
            {
                probe.ClientWriteEnded(0);
            }
        }

        public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        public override ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
