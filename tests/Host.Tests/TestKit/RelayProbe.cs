using System.Collections.Concurrent;
using System.IO.Pipelines;
using AkkaProxy.Pipeline.Supervision;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace AkkaProxy.Host.Tests.TestKit;

/// <summary>
/// Watches the relay's HTTP requests from the outermost middleware: when each started and when its
/// handler returned (with the relay's request id), and, when <see cref="ObserveResponseBodies"/> is
/// set, what the relay wrote to each client and whether a flush to it is held back. It only looks:
/// every call goes to Kestrel's own objects unchanged.
/// </summary>
public sealed class RelayProbe
{
    private readonly ConcurrentQueue<ObservedRequest> _requests = new();

    /// <summary>Signalled at every change this probe sees.</summary>
    public Pulse Changed { get; } = new();

    /// <summary>Wrap the response body writer of requests that start from now on.</summary>
    public bool ObserveResponseBodies { get; set; }

    /// <summary>Every request seen, in arrival order.</summary>
    public IReadOnlyCollection<ObservedRequest> Requests => _requests;

    /// <summary>Waits until the handler of the request with the relay's <paramref name="requestId"/> has returned.</summary>
    public Task WaitFinishedAsync(string requestId) =>
        Changed.WaitUntilAsync(() => _requests.Any(r => r.IsFinished && r.RequestId == requestId), $"the handler of {requestId} to return");

    /// <summary>Waits for the first request to <paramref name="path"/> to start.</summary>
    public async Task<ObservedRequest> WaitStartedAsync(string path)
    {
        await Changed.WaitUntilAsync(() => _requests.Any(r => r.Path == path), $"a request to {path}");
        return _requests.First(r => r.Path == path);
    }

    internal IStartupFilter StartupFilter() => new Filter(this);

    private async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = new ObservedRequest(context.Request.Path, Changed);
        if (ObserveResponseBodies && context.Features.Get<IHttpResponseBodyFeature>() is { } body)
        {
            request.Body = new ObservedBodyWriter(body.Writer, Changed);
            context.Features.Set<IHttpResponseBodyFeature>(new ObservedBodyFeature(body, request.Body));
        }

        _requests.Enqueue(request);
        Changed.Signal();
        try
        {
            await next(context);
        }
        finally
        {
            string? id = context.Response.Headers[HttpRelay.RequestIdHeader];
            request.Finish(string.IsNullOrEmpty(id) ? null : id);
        }
    }

    private sealed class Filter(RelayProbe probe) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(probe.InvokeAsync);
            next(app);
        };
    }

    private sealed class ObservedBodyFeature(IHttpResponseBodyFeature inner, PipeWriter writer) : IHttpResponseBodyFeature
    {
        public Stream Stream => inner.Stream;

        public PipeWriter Writer => writer;

        public void DisableBuffering() => inner.DisableBuffering();

        public Task StartAsync(CancellationToken cancellationToken = default) => inner.StartAsync(cancellationToken);

        public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) => inner.SendFileAsync(path, offset, count, cancellationToken);

        public Task CompleteAsync() => inner.CompleteAsync();
    }
}

/// <summary>One request the relay served.</summary>
public sealed class ObservedRequest(string path, Pulse changed)
{
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Path { get; } = path;

    /// <summary>The relay's request id, known once the handler returned (null when it set none).</summary>
    public string? RequestId { get; private set; }

    public bool IsFinished => _finished.Task.IsCompleted;

    /// <summary>Completes when the handler returned.</summary>
    public Task Finished => _finished.Task;

    /// <summary>The observed body writer, when bodies were observed.</summary>
    public ObservedBodyWriter? Body { get; internal set; }

    internal void Finish(string? requestId)
    {
        RequestId = requestId;
        _finished.TrySetResult();
        changed.Signal();
    }
}

/// <summary>A client's response body writer that counts what the relay wrote and tracks a flush the client holds back.</summary>
public sealed class ObservedBodyWriter(PipeWriter inner, Pulse changed) : PipeWriter
{
    private long _written;
    private HeldFlush? _held;

    /// <summary>Bytes the relay wrote to the client.</summary>
    public long BytesWritten => Interlocked.Read(ref _written);

    /// <summary>The flush now held back by the client (one that did not complete at once), or null.</summary>
    public HeldFlush? Held => Volatile.Read(ref _held);

    public override void Advance(int bytes)
    {
        Interlocked.Add(ref _written, bytes);
        inner.Advance(bytes);
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        ValueTask<FlushResult> flush = inner.FlushAsync(cancellationToken);
        return flush.IsCompleted ? flush : TrackAsync(flush);
    }

    private async ValueTask<FlushResult> TrackAsync(ValueTask<FlushResult> flush)
    {
        var held = new HeldFlush();
        Volatile.Write(ref _held, held);
        changed.Signal();
        try
        {
            return await flush;
        }
        finally
        {
            held.IsDone = true;
            Interlocked.CompareExchange(ref _held, null, held);
            changed.Signal();
        }
    }

    public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

    public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => inner.UnflushedBytes;

    /// <summary>One held-back flush; compared by identity.</summary>
    public sealed class HeldFlush
    {
        private volatile bool _done;

        public bool IsDone { get => _done; internal set => _done = value; }
    }
}
