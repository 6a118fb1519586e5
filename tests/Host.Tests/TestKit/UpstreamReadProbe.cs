using System.Net;
using AkkaProxy.Pipeline;
using AkkaProxy.Pipeline.Transport;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaProxy.Host.Tests.TestKit;

/// <summary>
/// Wraps the relay's own upstream client (from <see cref="UpstreamClientFactory"/>) and watches the
/// upstream response bodies it reads: how many reads are in progress. It only looks; every call
/// goes to the real client and the real body stream.
/// </summary>
public sealed class UpstreamReadProbe : HttpMessageHandler
{
    private HttpMessageInvoker? _inner;
    private int _inProgress;
    private long _started;

    /// <summary>Signalled whenever a read starts or ends.</summary>
    public Pulse Changed { get; } = new();

    /// <summary>Reads of an upstream body the relay is waiting on now.</summary>
    public int ReadsInProgress => Volatile.Read(ref _inProgress);

    /// <summary>Reads of an upstream body the relay started so far.</summary>
    public long ReadsStarted => Interlocked.Read(ref _started);

    /// <summary>Makes the relay's upstream client (the one the relay builds) go through this probe.</summary>
    public void Register(IServiceCollection services) =>
        services.AddSingleton(sp =>
        {
            _inner = UpstreamClientFactory.Create(sp.GetRequiredService<ProxyStreamFactory>().Options);
            return new HttpMessageInvoker(this, disposeHandler: true);
        });

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response = await _inner!.SendAsync(request, cancellationToken);
        response.Content = new ObservedContent(response.Content, this);
        return response;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner?.Dispose();
        }

        base.Dispose(disposing);
    }

    private void ReadStarted()
    {
        Interlocked.Increment(ref _started);
        Interlocked.Increment(ref _inProgress);
        Changed.Signal();
    }

    private void ReadEnded()
    {
        Interlocked.Decrement(ref _inProgress);
        Changed.Signal();
    }

    private sealed class ObservedContent : HttpContent
    {
        private readonly HttpContent _inner;
        private readonly UpstreamReadProbe _probe;

        public ObservedContent(HttpContent inner, UpstreamReadProbe probe)
        {
            _inner = inner;
            _probe = probe;
            foreach (KeyValuePair<string, IEnumerable<string>> header in inner.Headers)
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
            new ObservedStream(await _inner.ReadAsStreamAsync(cancellationToken), _probe);

        protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(CancellationToken.None);

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => _inner.CopyToAsync(stream);

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) => _inner.CopyToAsync(stream, cancellationToken);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    private sealed class ObservedStream(Stream inner, UpstreamReadProbe probe) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            probe.ReadStarted();
            try
            {
                return await inner.ReadAsync(buffer, cancellationToken);
            }
            finally
            {
                probe.ReadEnded();
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            await base.DisposeAsync();
        }
    }
}
