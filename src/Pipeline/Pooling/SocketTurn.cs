using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text.Json;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Transport;

namespace AkkaProxy.Pipeline.Pooling;

/// <summary>
/// One streaming Responses request carried over a pooled upstream socket, its events re-framed as
/// the SSE an HTTP upstream would have sent (<c>event: &lt;type&gt;</c>, <c>data: &lt;json&gt;</c>):
/// <code>
///   body ─▶ response.create ─▶ leased socket ─▶ pump: message ─▶ "event: t\ndata: json\n\n" ─▶ Reader (the relay's graph reads it)
///   1. lease (affinity by previous_response_id), send, read the first message; a socket that fails
///      here is discarded and one fresh socket is dialled; failing again, the caller falls back to HTTP;
///   2. the pump writes each message to <see cref="Reader"/>'s pipe, one read timeout per message;
///   3. at the terminal event the socket goes back to the pool (then the pipe completes, so the next
///      request of the same client finds it idle); a failure after the first event ends the pipe short (no terminal event);
///   4. a reader that completes early (client gone) switches the pump to draining: it reads, without
///      writing, up to the terminal event within the drain timeout, or discards the socket.
/// </code>
/// </summary>
internal sealed class SocketTurn
{
    private static readonly PipeOptions PipeOptions = new(pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024, useSynchronizationContext: false);

    private readonly UpstreamSocketPools _pools;
    private readonly Provider _provider;
    private readonly PooledSocket _socket;
    private readonly Pipe _pipe = new(PipeOptions);
    private readonly CancellationToken _shutdown;
    private CancellationTokenSource? _timer;
    private volatile bool _abandoned;

    private SocketTurn(UpstreamSocketPools pools, Provider provider, PooledSocket socket, CancellationToken shutdown)
    {
        _pools = pools;
        _provider = provider;
        _socket = socket;
        _shutdown = shutdown;
    }

    /// <summary>The SSE bytes of the turn; completing it early leaves the socket drained or discarded.</summary>
    public PipeReader Reader => _pipe.Reader;


    /// <summary>
    /// The turn's first event, when it is an <c>error</c> (<c>previous_response_not_found</c>, a bad
    /// request): the turn ended before it began, and the relay answers as an HTTP upstream would, with
    /// the event's <c>status</c> and its <c>error</c> object as JSON. Null for a turn that started.
    /// </summary>
    public byte[]? FirstError { get; private set; }

    /// <summary>The HTTP status and the JSON body an HTTP upstream would have answered <see cref="FirstError"/> with.</summary>
    public static (int Status, byte[] Body) AsHttpError(byte[] errorEvent)
    {
        using JsonDocument doc = JsonDocument.Parse(errorEvent);
        JsonElement root = doc.RootElement;
        int status = root.TryGetProperty("status", out JsonElement s) && s.TryGetInt32(out int code) && code is >= 400 and < 600 ? code : 400;
        string error = root.TryGetProperty("error", out JsonElement e) && e.ValueKind == JsonValueKind.Object ? e.GetRawText() : """{"message":"The upstream refused the request.","type":"invalid_request_error","param":null,"code":null}""";
        return (status, System.Text.Encoding.UTF8.GetBytes("{\"error\":" + error + "}"));
    }

    /// <summary>
    /// Starts the turn (step 1): a turn whose first event has arrived, or null with the reason when no
    /// socket could carry it before any event (the caller falls back to HTTP).
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired (the client left, the relay stops).</exception>
    public static async Task<(SocketTurn? Turn, string? Failure)> StartAsync(UpstreamSocketPools pools, Provider provider, ReadOnlyMemory<byte> body, CancellationToken cancellationToken, CancellationToken shutdown)
    {
        byte[] create;
        string? previous;
        try
        {
            create = ResponseCreateEvent.From(body, out previous);
        }
        catch (JsonException ex)
        {
            return (null, "the body is not a JSON object: " + ex.Message);
        }

        string? failure = null;
        for (int attempt = 0; attempt < 2; attempt++)
        {
            // The second attempt is the one redial: a fresh socket, never another pooled one.
            SocketLease lease = await pools.LeaseAsync(provider, previous, fresh: attempt > 0, cancellationToken).ConfigureAwait(false);
            if (lease.Socket is not PooledSocket socket)
            {
                return (null, lease.Failure?.Message ?? "no socket");
            }

            WebSocketMessage first;
            using (var timeout = new CancellationTokenSource(pools.Options.ReadTimeout, pools.Time))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token))
            {
                try
                {
                    await socket.SendAsync(create, linked.Token).ConfigureAwait(false);
                    first = await socket.ReceiveAsync(linked.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
                {
                    pools.Release(provider, socket, reusable: false);
                    cancellationToken.ThrowIfCancellationRequested();
                    pools.Counters.SocketBroken();
                    failure = ex is OperationCanceledException ? "no event within the read timeout" : ex.Message;
                    continue;
                }
            }

            if (first.Kind != WebSocketMessageKind.Data)
            {
                pools.Release(provider, socket, reusable: false);
                if (first.Kind == WebSocketMessageKind.TooLarge || !CloseCodes.IsNormal(socket.CloseStatus))
                {
                    pools.Counters.SocketBroken(); // 1000, 1001 and 1005 are a normal end of a socket, not a break
                }

                failure = first.Kind == WebSocketMessageKind.TooLarge
                    ? "the first event exceeds the message limit"
                    : CloseCodes.IsNormal(socket.CloseStatus) ? "the socket was closed (normal end)" : $"the socket was closed ({(int?)socket.CloseStatus})";
                continue;
            }

            var turn = new SocketTurn(pools, provider, socket, shutdown);
            if (SocketEvent.Read(first.Payload.Span).Kind == SocketEventKind.Error)
            {
                // Refused before it began: an HTTP upstream answers this with an error status, not a stream.
                turn.FirstError = first.Payload.ToArray();
            }

            _ = turn.PumpAsync(first); // it never throws: every end gives the socket back or discards it
            return (turn, null);
        }

        return (null, failure);
    }

    /// <summary>
    /// The relay's exchange is over, whether or not the turn reached its terminal event: what is left of the
    /// turn is read (not forwarded) within the drain timeout, not the read timeout, then the socket goes back
    /// clean or is discarded. Idempotent; nothing happens once the turn has ended.
    /// </summary>
    public void Abandon()
    {
        _abandoned = true;
        try
        {
            Volatile.Read(ref _timer)?.CancelAfter(_pools.Options.DrainTimeout);
        }
        catch (ObjectDisposedException)
        {
            // The pump ended meanwhile.
        }
    }

    private async Task PumpAsync(WebSocketMessage message)
    {
        PipeWriter writer = _pipe.Writer;
        bool released = false;
        bool draining = false;
        using var timer = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _pools.Time);
        Volatile.Write(ref _timer, timer);
        using CancellationTokenRegistration stop = _shutdown.Register(static t => ((CancellationTokenSource)t!).Cancel(), timer);
        try
        {
            while (true)
            {
                ReadOnlyMemory<byte> payload = message.Payload;
                SocketEvent facts = SocketEvent.Read(payload.Span);
                if (facts.CreatedId is { } created)
                {
                    // Known from the turn's start: the other relay nodes send its continuation here, however fast the client is.
                    _ = _pools.Directory?.Holds(created);
                }

                if (!draining)
                {
                    SseFraming.Write(writer, facts, payload.Span); // copied into the pipe: the socket's buffer is free after this
                }

                if (facts.IsTerminal)
                {
                    // The provider keeps the socket's latest response (protocol-notes §A); a failed turn keeps none.
                    // Back to the pool before the client has the terminal event: a continuation the client sends at
                    // once finds the socket idle here, and the other relay nodes' directory knows where it is.
                    _socket.LastResponseId = facts.ResponseId;
                    released = true;
                    _pools.Release(_provider, _socket, reusable: !facts.EndsSocket(payload.Span));
                    if (!draining)
                    {
                        if (_pools.Directory is { } directory && facts.ResponseId is { } held)
                        {
                            await directory.Holds(held).ConfigureAwait(false); // the other nodes know it before the client does
                        }

                        await writer.FlushAsync().ConfigureAwait(false);
                    }

                    await writer.CompleteAsync().ConfigureAwait(false);
                    return;
                }

                if (!draining)
                {
                    // No timeout on the flush: a client that stops reading is the relay's idle timeout's to end (it completes the reader).
                    FlushResult flushed = await writer.FlushAsync().ConfigureAwait(false);
                    if (flushed.IsCompleted)
                    {
                        // The reader is done (the client left): read on to the terminal event, within the drain timeout.
                        draining = true;
                        timer.CancelAfter(_pools.Options.DrainTimeout);
                    }
                }

                if (!draining)
                {
                    timer.CancelAfter(_pools.Options.ReadTimeout);
                    if (_abandoned)
                    {
                        // Abandoned (before or while the read timeout was set): the drain's bound, from now.
                        draining = true;
                        timer.CancelAfter(_pools.Options.DrainTimeout);
                    }
                }

                message = await _socket.ReceiveAsync(timer.Token).ConfigureAwait(false);
                if (message.Kind != WebSocketMessageKind.Data)
                {
                    throw new IOException(message.Kind == WebSocketMessageKind.TooLarge ? "An upstream message exceeds the message limit." : "The upstream socket closed mid-turn.");
                }
            }
        }
        catch (Exception ex)
        {
            // Expected ends (a broken socket, a timeout, a drain that ran out) and bugs alike: the socket is
            // never reused, and the pool gets its slot back whatever happened.
            if (ex is not (WebSocketException or OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException))
            {
                _pools.LogPumpFailure(_provider, ex);
            }

            if (!released)
            {
                _pools.Release(_provider, _socket, reusable: false);
            }

            // Completed without an error: a pipe completed with one fails the reader's next read at once,
            // losing the events still in it. The stream then ends with no terminal event, which the relay
            // reports as it does for an SSE upstream that stops short (upstream_truncated, billed failed).
            await writer.CompleteAsync().ConfigureAwait(false);
        }
    }
}
