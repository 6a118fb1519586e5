using System.Net.WebSockets;
using AkkaProxy.Pipeline.Transport;

namespace AkkaProxy.Pipeline.Client;

/// <summary>
/// The one socket of a conversation: connects, sends a turn, reads whole events, closes. Used by one
/// turn at a time (the conversation's contract), so sends and reads never overlap on it.
/// </summary>
/// <remarks>
/// Any failure (a broken connection, an oversized or unreadable message, a cancelled read: .NET aborts
/// a socket whose read is cancelled) leaves it <see cref="IsUsable"/> false, and the conversation opens
/// a new one for its next turn.
/// </remarks>
internal sealed class ConversationSocket : IDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly WebSocketMessageReader _reader;
    private readonly ResponsesWebSocketClientOptions _options;
    private bool _retired;
    private Task<WebSocketMessage>? _idleRead;

    private ConversationSocket(ClientWebSocket socket, ResponsesWebSocketClientOptions options)
    {
        _socket = socket;
        _options = options;
        _reader = new WebSocketMessageReader(socket, options.MaxEventBytes, 4 * 1024);
    }

    /// <summary>False once the socket closed, broke, or was retired: it takes no more turns.</summary>
    public bool IsUsable => !_retired && _socket.State == WebSocketState.Open;

    /// <summary>The close code the server sent, once it sent one.</summary>
    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    /// <summary>The close reason the server sent, once it sent one.</summary>
    public string? CloseDescription => _socket.CloseStatusDescription;

    public static async Task<ConversationSocket> ConnectAsync(ResponsesWebSocketClientOptions options, HttpMessageInvoker invoker, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        try
        {
            if (options.ApiKey is not null)
            {
                socket.Options.SetRequestHeader("Authorization", "Bearer " + options.ApiKey);
            }

            if (options.ConfigureConnection is not null)
            {
                await options.ConfigureConnection(socket.Options, cancellationToken).ConfigureAwait(false);
            }

            using var timeout = new CancellationTokenSource(options.ConnectTimeout, options.TimeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            try
            {
                await socket.ConnectAsync(options.SocketUri(), invoker, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"Connecting to {options.SocketUri()} took longer than ConnectTimeout ({options.ConnectTimeout}).");
            }

            return new ConversationSocket(socket, options);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Starts the read of whatever comes next while no turn runs: it holds no buffer until a frame
    /// arrives, and lets the next turn see a close the server sent in between (or anything else it should
    /// not have sent) before it sends on this socket.
    /// </summary>
    public void WatchBetweenTurns()
    {
        if (IsUsable && _idleRead is null)
        {
            _idleRead = WatchAsync();
        }
    }

    private async Task<WebSocketMessage> WatchAsync()
    {
        WebSocketMessage message = await _reader.ReceiveAsync(CancellationToken.None).ConfigureAwait(false);
        if (message.Kind == WebSocketMessageKind.Closed && _socket.State == WebSocketState.CloseReceived)
        {
            // The server ended the socket between turns: answer its close now rather than at the next turn.
            try
            {
                using var timeout = new CancellationTokenSource(_options.CloseTimeout, _options.TimeProvider);
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
            {
                // Gone already.
            }
        }

        return message;
    }

    /// <summary>True when something (a close, a failure, a stray event) arrived since the last turn ended: the socket is not reused.</summary>
    public bool EndedBetweenTurns => _idleRead is { IsCompleted: true };

    /// <summary>Marks the socket as taking no more turns (the server said it reached its connection limit).</summary>
    public void Retire() => _retired = true;

    /// <summary>Sends one text message.</summary>
    /// <exception cref="WebSocketException">The connection is gone.</exception>
    public ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken) =>
        _socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);

    /// <summary>
    /// Reads the next event, waiting at most <paramref name="timeout"/>; null when the server sent a close
    /// frame (<see cref="CloseStatus"/> says which).
    /// </summary>
    /// <exception cref="TimeoutException">No whole event within <paramref name="timeout"/>; the socket was aborted.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the socket was aborted.</exception>
    /// <exception cref="ResponsesWebSocketException">The connection broke, or the message was too large, binary or not an event.</exception>
    public async ValueTask<ResponsesEvent?> ReceiveAsync(TimeSpan timeout, string timeoutSetting, CancellationToken cancellationToken)
    {
        using var timer = new CancellationTokenSource(timeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        WebSocketMessage message;
        try
        {
            if (_idleRead is { } idle)
            {
                // The read started between turns: wait for it, bounded the same way (a timeout or a cancel aborts the socket, which ends it).
                _idleRead = null;
                try
                {
                    message = await idle.WaitAsync(linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    _socket.Abort();
                    await idle.ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);
                    throw;
                }
            }
            else
            {
                message = await _reader.ReceiveAsync(linked.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (cancellationToken.IsCancellationRequested)
        {
            Abort();
            throw new OperationCanceledException("The turn's read was cancelled; the socket was discarded.", ex, cancellationToken);
        }
        catch (Exception ex) when (timer.IsCancellationRequested)
        {
            Abort();
            throw new TimeoutException($"No event from the server within {timeoutSetting} ({timeout}); the socket was discarded and the next turn reconnects.", ex);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException)
        {
            Abort();
            throw new ResponsesWebSocketException("The connection broke mid-turn: " + ex.Message, ex);
        }

        switch (message.Kind)
        {
            case WebSocketMessageKind.Closed:
                return null;
            case WebSocketMessageKind.TooLarge:
                Abort();
                throw new ResponsesWebSocketException($"The server sent an event larger than MaxEventBytes ({_options.MaxEventBytes}); the socket was discarded.");
        }

        if (message.Type != WebSocketMessageType.Text)
        {
            Abort();
            throw new ResponsesWebSocketException("The server sent a binary message; Responses events are JSON text. The socket was discarded.");
        }

        try
        {
            return ResponsesEvent.Parse(message.Payload.Span);
        }
        catch (ResponsesWebSocketException)
        {
            Abort();
            throw;
        }
    }

    /// <summary>
    /// Closes with 1000: sends the close frame (or answers the server's), waits at most
    /// <see cref="ResponsesWebSocketClientOptions.CloseTimeout"/> for the server's, reading away what it
    /// still sends; aborts past it. Never throws.
    /// </summary>
    public async Task CloseAsync(string reason)
    {
        try
        {
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(_options.CloseTimeout, _options.TimeProvider);
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, reason, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The server is gone or did not answer in time: nothing more to tell it.
        }
        finally
        {
            Dispose();
        }
    }

    /// <summary>Drops the connection at once, without a close handshake.</summary>
    public void Abort()
    {
        _retired = true;
        _socket.Abort();
    }

    public void Dispose()
    {
        _retired = true;
        _socket.Dispose();
        if (_idleRead is null or { IsCompleted: true })
        {
            _reader.Dispose(); // a read still running may write into its pooled buffer: that one is left to the collector
        }
    }
}
