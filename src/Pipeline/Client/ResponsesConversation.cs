using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using Akka;
using Akka.Streams.Dsl;
using AkkaProxy.Pipeline.Transport;

namespace AkkaProxy.Pipeline.Client;

/// <summary>
/// A chain of Responses turns over one WebSocket, which remembers the last response id and sends it
/// as <c>previous_response_id</c> when a turn sets none (see <see cref="ResponsesTurn"/> for the three
/// states). Get one from <see cref="ResponsesWebSocketClient.StartConversation"/>.
/// </summary>
/// <remarks>
/// <para><b>The last id</b> is taken from the terminal event of every turn that produced a response the
/// server keeps: <c>response.completed</c> and <c>response.incomplete</c> (an incomplete response can be
/// continued). <c>response.failed</c> and <c>error</c> leave it unchanged, so a retry continues from the
/// last good response. It survives reconnects: a new socket gets it too, and the provider either
/// loads it (<c>store=true</c>) or answers <c>previous_response_not_found</c>, passed to the caller
/// as the turn's terminal <c>error</c> event.</para>
/// <para><b>Sockets.</b> One at a time, opened lazily by the first turn and again by the turn after it
/// closed (close codes 1000, 1001 and 1005 are a normal end; any other code, or a broken connection,
/// is survived the same way), after the 60-minute <c>websocket_connection_limit_reached</c> error, or
/// after a read failed or timed out. A turn whose first send or first read finds the socket already
/// closed is sent once more on a new socket; once an event of the turn has arrived it is never resent.</para>
/// <para><b>Threading.</b> One turn at a time: starting a turn while another one's enumeration is still
/// running throws <see cref="InvalidOperationException"/>. <see cref="LastResponseId"/> may be read
/// from any thread.</para>
/// </remarks>
public sealed class ResponsesConversation : IAsyncDisposable
{
    private readonly ResponsesWebSocketClient _client;
    private readonly ResponsesWebSocketClientOptions _options;
    private ConversationSocket? _socket;
    private volatile string? _lastResponseId;
    private int _turnRunning;
    private int _connections;
    private bool _unfinishedTurn;
    private volatile bool _disposed;

    internal ResponsesConversation(ResponsesWebSocketClient client, ResponsesWebSocketClientOptions options, string? lastResponseId)
    {
        _client = client;
        _options = options;
        _lastResponseId = lastResponseId;
    }

    /// <summary>The id of the last response this conversation continues from, or null before the first.</summary>
    public string? LastResponseId => _lastResponseId;

    /// <summary>How many sockets this conversation has opened so far (1 + reconnects).</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>
    /// Sends <paramref name="turn"/> when enumeration starts and yields its events, the terminal one
    /// last. Each enumeration sends the turn again.
    /// </summary>
    /// <remarks>
    /// Stopping early (a <c>break</c>) is safe: the rest of the turn is read away before the next turn is
    /// sent (at most <see cref="ResponsesWebSocketClientOptions.DrainTimeout"/>, else the socket is
    /// dropped and the next turn reconnects); a terminal event read that way still sets
    /// <see cref="LastResponseId"/>. Cancelling, or a read past
    /// <see cref="ResponsesWebSocketClientOptions.ReadTimeout"/> (<see cref="TimeoutException"/>),
    /// drops the socket.
    /// </remarks>
    /// <exception cref="InvalidOperationException">Another turn of this conversation is still being enumerated.</exception>
    /// <exception cref="ResponsesWebSocketException">The connection closed or broke mid-turn, or sent something that is not an event.</exception>
    /// <exception cref="TimeoutException">No event within the read timeout, or the connect took too long.</exception>
    public IAsyncEnumerable<ResponsesEvent> StreamAsync(ResponsesTurn turn, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(turn);
        return RunAsync(turn, cancellationToken);
    }

    /// <summary>
    /// The same turn as an Akka.Streams source, for graphs of an embedder's own: materializing it sends
    /// the turn (each materialization sends it again) and it completes after the terminal event. A
    /// downstream that cancels early is an early stop: the rest is drained before the next turn, or the
    /// socket is dropped (a read cancelled mid-way aborts it) and the next turn reconnects.
    /// </summary>
    public Source<ResponsesEvent, NotUsed> StreamSource(ResponsesTurn turn)
    {
        ArgumentNullException.ThrowIfNull(turn);
        return Source.From(() => RunAsync(turn, CancellationToken.None));
    }

    /// <summary>
    /// Closes the socket with 1000 (waiting at most the close timeout for the server's answer). A turn
    /// still being enumerated on another thread has its socket aborted. Idempotent.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _client.Forget(this);
        ConversationSocket? socket = Interlocked.Exchange(ref _socket, null);
        if (socket is null)
        {
            return;
        }

        if (Volatile.Read(ref _turnRunning) == 1)
        {
            socket.Abort(); // the running turn's read fails; its own cleanup disposes the socket
            return;
        }

        await socket.CloseAsync("conversation ended").ConfigureAwait(false);
    }

    private async IAsyncEnumerable<ResponsesEvent> RunAsync(ResponsesTurn turn, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Interlocked.CompareExchange(ref _turnRunning, 1, 0) != 0)
        {
            throw new InvalidOperationException("A conversation runs one turn at a time: finish (or dispose) the previous turn's enumeration first.");
        }

        try
        {
            ConversationSocket socket = await ReadySocketAsync(cancellationToken).ConfigureAwait(false);
            (byte[] message, _) = turn.ToMessage(_lastResponseId);
            bool resent = false;
            bool anyEvent = false;
            _unfinishedTurn = true;
            if (!await TrySendAsync(socket, message, cancellationToken).ConfigureAwait(false))
            {
                socket = await ReconnectAsync(socket, cancellationToken).ConfigureAwait(false);
                resent = true;
                await SendOrThrowAsync(socket, message, cancellationToken).ConfigureAwait(false);
            }

            while (true)
            {
                ResponsesEvent? received = await socket.ReceiveAsync(_options.ReadTimeout, nameof(ResponsesWebSocketClientOptions.ReadTimeout), cancellationToken).ConfigureAwait(false);
                if (received is null)
                {
                    if (!anyEvent && !resent)
                    {
                        // Closed before the turn began (the server ended the socket after the previous turn): once more, on a new one.
                        socket = await ReconnectAsync(socket, cancellationToken).ConfigureAwait(false);
                        resent = true;
                        await SendOrThrowAsync(socket, message, cancellationToken).ConfigureAwait(false);
                        continue;
                    }

                    throw ClosedMidTurn(socket);
                }

                anyEvent = true;
                Observe(socket, received);
                if (received.IsTerminal)
                {
                    socket.WatchBetweenTurns();
                }

                yield return received;
                if (received.IsTerminal)
                {
                    yield break;
                }
            }
        }
        finally
        {
            if (_disposed)
            {
                Interlocked.Exchange(ref _socket, null)?.Dispose();
            }

            Volatile.Write(ref _turnRunning, 0);
        }
    }

    /// <summary>Notes what a received event means for the conversation: its last id, the socket's end.</summary>
    private void Observe(ConversationSocket socket, ResponsesEvent received)
    {
        if (!received.IsTerminal)
        {
            return;
        }

        _unfinishedTurn = false;
        if (received.Type is ResponsesEventTypes.Completed or ResponsesEventTypes.Incomplete && received.ResponseId is not null)
        {
            _lastResponseId = received.ResponseId;
        }

        if (received.ErrorCode == ResponsesEventTypes.ConnectionLimitReached)
        {
            socket.Retire(); // 60 minutes: the next turn goes on a new socket
        }
    }

    /// <summary>The socket for the next turn: the current one once the previous turn was read to its end, else a new one.</summary>
    private async ValueTask<ConversationSocket> ReadySocketAsync(CancellationToken cancellationToken)
    {
        ConversationSocket? socket = _socket;
        if (socket is not null && _unfinishedTurn && socket.IsUsable)
        {
            await DrainAsync(socket, cancellationToken).ConfigureAwait(false);
        }

        if (socket is not null && socket.IsUsable && !socket.EndedBetweenTurns)
        {
            return socket;
        }

        return await ReconnectAsync(socket, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads away the rest of a turn whose caller stopped early, up to the drain timeout; on failure the socket is dropped.</summary>
    private async ValueTask DrainAsync(ConversationSocket socket, CancellationToken cancellationToken)
    {
        long started = _options.TimeProvider.GetTimestamp();
        try
        {
            while (true)
            {
                TimeSpan left = _options.DrainTimeout == Timeout.InfiniteTimeSpan ? Timeout.InfiniteTimeSpan : _options.DrainTimeout - _options.TimeProvider.GetElapsedTime(started);
                if (left != Timeout.InfiniteTimeSpan && left <= TimeSpan.Zero)
                {
                    socket.Abort();
                    return;
                }

                ResponsesEvent? received = await socket.ReceiveAsync(left, nameof(ResponsesWebSocketClientOptions.DrainTimeout), cancellationToken).ConfigureAwait(false);
                if (received is null)
                {
                    return; // closed: the caller reconnects
                }

                Observe(socket, received);
                if (received.IsTerminal)
                {
                    socket.WatchBetweenTurns();
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is TimeoutException or ResponsesWebSocketException)
        {
            // The socket was aborted: the next turn goes on a new one.
        }
        finally
        {
            _unfinishedTurn = false;
        }
    }

    private async ValueTask<ConversationSocket> ReconnectAsync(ConversationSocket? old, CancellationToken cancellationToken)
    {
        if (old is not null)
        {
            Interlocked.CompareExchange(ref _socket, null, old);
            await old.CloseAsync(old.CloseStatus is null ? "reconnecting" : "").ConfigureAwait(false);
        }

        ConversationSocket socket = await _client.ConnectAsync(cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _connections);
        if (_disposed || Interlocked.CompareExchange(ref _socket, socket, null) is not null)
        {
            socket.Dispose();
            throw new ObjectDisposedException(nameof(ResponsesConversation));
        }

        return socket;
    }

    private static async ValueTask<bool> TrySendAsync(ConversationSocket socket, byte[] message, CancellationToken cancellationToken)
    {
        try
        {
            await socket.SendAsync(message, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is WebSocketException or IOException && !cancellationToken.IsCancellationRequested)
        {
            socket.Abort();
            return false;
        }
    }

    private static async ValueTask SendOrThrowAsync(ConversationSocket socket, byte[] message, CancellationToken cancellationToken)
    {
        if (!await TrySendAsync(socket, message, cancellationToken).ConfigureAwait(false))
        {
            throw new ResponsesWebSocketException("The turn could not be sent on a new socket either.");
        }
    }

    private static ResponsesWebSocketException ClosedMidTurn(ConversationSocket socket)
    {
        WebSocketCloseStatus? status = socket.CloseStatus;
        string kind = status is not null && CloseCodes.IsNormal(status) ? "a normal close" : "close";
        return new ResponsesWebSocketException(
            $"The server ended the connection ({kind} {(int?)status} '{socket.CloseDescription}') before the turn's terminal event; the next turn reconnects.",
            status,
            socket.CloseDescription);
    }
}
