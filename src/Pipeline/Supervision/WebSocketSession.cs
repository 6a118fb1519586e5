using System.Buffers;
using System.Net.WebSockets;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Rewrite;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Streams;
using AkkaProxy.Pipeline.Transport;
using AkkaProxy.Pipeline.Usage;
using Microsoft.Extensions.Logging;

namespace AkkaProxy.Pipeline.Supervision;

/// <summary>
/// Supervises one Responses WebSocket session:
/// <code>
///   client ──text──▶ client pump ──[validate, route, dial once, rewrite model, open turn on its lane]──▶ upstream
///   client ◀─text─── upstream pump ◀──[lane → turn, stages + usage tap, bill on terminal event]──────── upstream
///                         ▲                                                      ▲
///                         └─────────────── supervisor (RunAsync) ────────────────┘
///   1. the client pump reads whole messages (≤ max); the upstream is dialled lazily, at the first
///      response.create whose model routes; bad client messages get an error event, the socket stays open;
///   2. each response.create opens a turn (a ProxyExchange + ProxyRun) on its lane (stream_id, or the
///      default lane); upstream events go to the head turn of their lane; a terminal event bills it;
///   3. each pump awaits its send before reading again: a slow reader slows the other side;
///   4. the first end (a close, a lost socket, an oversize message, idle timeout, shutdown) decides:
///      a close is passed on with the same code and reason, an abnormal end becomes 1011 (1001 on
///      shutdown or idle); the peer gets the close timeout to answer, then both sockets are aborted;
///   5. a turn is billed after its terminal event was sent, without holding up either pump; turns
///      still open at the end are billed as aborted with the usage seen; refused response.create
///      messages are billed as rejected; the session ends once every record was handed to billing.
/// </code>
/// </summary>
internal sealed class WebSocketSession
{
    private const string DefaultLane = "";

    private readonly WebSocketRelay _relay;
    private readonly WebSocket _client;
    private readonly WebSocketHandshake _handshake;
    private readonly SocketSender _toClient;
    private readonly Dictionary<string, Queue<ProxyRun>> _lanes = new(StringComparer.Ordinal);
    private readonly Lock _lanesGate = new();
    private readonly TaskCompletionSource<SessionEnd> _end = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ActivityTimeout _idle;
    private readonly CancellationTokenSource _ended = new();
    private readonly HashSet<string> _seenLanes = new(StringComparer.Ordinal);
    private readonly List<Task> _pendingBilling = [];
    private readonly Lock _billingGate = new();
    private (WebSocketCloseStatus Status, string Reason) _upstreamClose = (WebSocketCloseStatus.NormalClosure, "");
    private WebSocket? _upstream;
    private SocketSender? _toUpstream;
    private Task? _upstreamPump;
    private Provider? _provider;
    private string? _lastModel;
    private bool _namedLanes;
    private int _turns;

    public WebSocketSession(WebSocketRelay relay, WebSocket client, WebSocketHandshake handshake)
    {
        _relay = relay;
        _client = client;
        _handshake = handshake;
        _toClient = new SocketSender(client, relay.Options.CloseTimeout);
        _idle = new ActivityTimeout(relay.Options.IdleTimeout, relay.Time);
    }

    private WebSocketRelayOptions Options => _relay.Options;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using CancellationTokenRegistration onIdle = _idle.Token.Register(() => End(SessionEndKind.IdleTimeout, WebSocketCloseStatus.EndpointUnavailable, "idle timeout"));
        using CancellationTokenRegistration onShutdown = _relay.Shutdown.Register(() => End(SessionEndKind.Shutdown, WebSocketCloseStatus.EndpointUnavailable, "relay shutting down"));
        using CancellationTokenRegistration onAbort = cancellationToken.Register(() => End(SessionEndKind.ClientLost, WebSocketCloseStatus.InternalServerError, "client connection lost"));
        Task clientPump = ClientPumpAsync();
        try
        {
            SessionEnd end = await _end.Task.ConfigureAwait(false);
            await CloseBothAsync(end).ConfigureAwait(false);
            await WaitOrAbortAsync(clientPump).ConfigureAwait(false);
            BillOpenTurns(end);
            await AwaitPendingBillingAsync().ConfigureAwait(false);
        }
        finally
        {
            AbortUnlessClosed(_client);
            AbortUnlessClosed(_upstream);
            _client.Dispose();
            _upstream?.Dispose();
            _idle.Dispose();
            _ended.Dispose();
        }
    }

    // 1. Client → upstream.
    private async Task ClientPumpAsync()
    {
        using var reader = new WebSocketMessageReader(_client, Options.MaxMessageBytes, Options.ReceiveBufferBytes);
        try
        {
            while (!_end.Task.IsCompleted)
            {
                WebSocketMessage message = await reader.ReceiveAsync(CancellationToken.None).ConfigureAwait(false);
                _idle.Touch();
                switch (message.Kind)
                {
                    case WebSocketMessageKind.Closed:
                        End(SessionEndKind.ClientClosed, _client.CloseStatus ?? WebSocketCloseStatus.NormalClosure, _client.CloseStatusDescription ?? "");
                        return;
                    case WebSocketMessageKind.TooLarge:
                        End(SessionEndKind.ClientTooLarge, WebSocketCloseStatus.MessageTooBig, $"message exceeds {Options.MaxMessageBytes} bytes");
                        return;
                }

                if (!_end.Task.IsCompleted)
                {
                    await OnClientMessageAsync(message).ConfigureAwait(false);
                }
            }
        }
        catch (UpstreamSendException)
        {
            End(SessionEndKind.UpstreamLost, WebSocketCloseStatus.InternalServerError, "upstream connection lost");
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            End(SessionEndKind.ClientLost, WebSocketCloseStatus.InternalServerError, "client connection lost");
        }
        catch (Exception ex)
        {
            _relay.Logger.LogError(ex, "WebSocket session failed reading the client.");
            End(SessionEndKind.RelayError, WebSocketCloseStatus.InternalServerError, "relay error");
        }
    }

    private async Task OnClientMessageAsync(WebSocketMessage message)
    {
        // Only JSON text messages are part of the protocol. Anything the relay cannot read is refused,
        // never forwarded: a message it cannot read could be a response.create it would neither route nor bill.
        if (message.Type != WebSocketMessageType.Text)
        {
            await RefuseAsync(ClientErrors.Binary, null).ConfigureAwait(false);
            return;
        }

        if (!TryRead(message.Payload, out RequestBodyInfo info, out string? unreadable))
        {
            await RefuseAsync(ClientErrors.Unreadable(unreadable), null).ConfigureAwait(false);
            return;
        }

        if (info.Type != "response.create")
        {
            if (_toUpstream is not null)
            {
                await SendUpstreamAsync(message.Payload, message.Type).ConfigureAwait(false); // passes byte for byte
                return;
            }

            await RefuseAsync(ClientErrors.FirstMessage(info.Type), null).ConfigureAwait(false);
            return;
        }

        if (LaneRefusal(info.StreamId) is (byte[] laneError, string laneCode))
        {
            await _toClient.SendAsync(laneError, WebSocketMessageType.Text).ConfigureAwait(false);
            BillRejected(info, null, 400, laneCode);
            return;
        }

        if (OpenTurnCount() >= Options.MaxOpenTurns)
        {
            await RejectTurnAsync(ClientErrors.TooManyOpenTurns(Options.MaxOpenTurns), info, null).ConfigureAwait(false);
            return;
        }

        string? model = info.Model ?? (_upstream is null ? _handshake.Model : _lastModel);
        if (model is null)
        {
            await RejectTurnAsync(ClientErrors.MissingModel, info, null).ConfigureAwait(false);
            return;
        }

        if (!_relay.Router.TryResolve(model, out ProviderRoute route, out string routeError))
        {
            await RejectTurnAsync(new ClientError("model_not_found", routeError, "model"), info with { Model = model }, null).ConfigureAwait(false);
            return;
        }

        if (route.Provider.Kind == ProviderKind.Anthropic)
        {
            await RejectTurnAsync(ClientErrors.NoWebSocketMode(route.Provider), info, route).ConfigureAwait(false);
            return;
        }

        if (_provider is not null && route.Provider != _provider)
        {
            await RejectTurnAsync(ClientErrors.ProviderSwitch(route.Provider, _provider), info, route).ConfigureAwait(false);
            return;
        }

        if (route.Provider.IsMissingKey)
        {
            await RejectTurnAsync(ClientErrors.MissingKey(route.Provider), info, route, status: 500).ConfigureAwait(false);
            return;
        }

        if (_upstream is null && !await DialAsync(route, info).ConfigureAwait(false))
        {
            return;
        }

        ProxyRun? run = await OpenTurnAsync(route, message.Payload, info).ConfigureAwait(false);
        if (run is null)
        {
            return;
        }

        _lastModel = model;
        await SendUpstreamAsync(run.Exchange.RequestBody, WebSocketMessageType.Text).ConfigureAwait(false);
        run.Exchange.RequestBody = ReadOnlyMemory<byte>.Empty; // an open turn keeps its accounting, not its (up to 16 MiB) request
    }

    /// <summary>Refuses a <c>response.create</c> with an error event, and records it: outcome rejected, cost 0, nothing went upstream.</summary>
    private async Task RejectTurnAsync(ClientError error, RequestBodyInfo info, ProviderRoute? route, int status = 400)
    {
        await RefuseAsync(error, info.StreamId, status).ConfigureAwait(false);
        BillRejected(info, route, status, error.Code);
    }

    private void BillRejected(RequestBodyInfo info, ProviderRoute? route, int status, string code) =>
        Bill(BillingRecordFactory.Rejected(new RejectedRequest
        {
            RequestId = NewRequestId(),
            Api = ApiKind.Responses,
            KeyId = _handshake.KeyId,
            Route = route,
            RequestedModel = info.Model ?? _handshake.Model,
            Streaming = true,
            HttpStatus = status,
            ErrorCode = code,
            StartedAt = _relay.Time.GetUtcNow(),
            StreamId = info.StreamId,
        }, _relay.Time.GetUtcNow()));

    private static string NewRequestId() => "req_" + Guid.NewGuid().ToString("N");

    /// <summary>The official error for an invalid or one-too-many <c>stream_id</c> (docs/protocol-notes.md §A), or null when the lane is fine.</summary>
    private (byte[] Payload, string Code)? LaneRefusal(string? streamId)
    {
        if (streamId is null)
        {
            return null;
        }

        if (!LaneNames.IsValid(streamId))
        {
            return (ClientErrorEvent.Create(400, "invalid_stream_id", LaneNames.InvalidMessage, "stream_id"), "invalid_stream_id");
        }

        lock (_lanesGate)
        {
            if (_seenLanes.Contains(streamId) || _seenLanes.Count < LaneNames.MaxNamedLanes)
            {
                _seenLanes.Add(streamId);
                return null;
            }
        }

        return (ClientErrorEvent.Create(400, "websocket_stream_limit_reached", LaneNames.LimitMessage, "stream_id", streamId), "websocket_stream_limit_reached");
    }

    private int OpenTurnCount()
    {
        lock (_lanesGate)
        {
            return _lanes.Values.Sum(turns => turns.Count);
        }
    }

    /// <summary>Sends to the upstream; a failure there is the upstream's, not the client's.</summary>
    private async ValueTask SendUpstreamAsync(ReadOnlyMemory<byte> payload, WebSocketMessageType type)
    {
        try
        {
            await _toUpstream!.SendAsync(payload, type).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException)
        {
            throw new UpstreamSendException(ex);
        }
    }

    /// <summary>Marks a failed send to the upstream inside the client pump.</summary>
    private sealed class UpstreamSendException(Exception inner) : Exception("The upstream socket failed.", inner);

    private async Task<bool> DialAsync(ProviderRoute route, RequestBodyInfo info)
    {
        DateTimeOffset startedAt = _relay.Time.GetUtcNow();
        string? queryModel = _handshake.Model is null ? null : route.UpstreamModel;
        WebSocket upstream;
        try
        {
            upstream = await _relay.Dialer.ConnectAsync(route.Provider, _handshake, queryModel, _ended.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_ended.IsCancellationRequested)
        {
            return false; // the session ended while dialling
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or HttpRequestException)
        {
            // The exception names the upstream's host and port: the log gets it, the client the request id.
            var exchange = new ProxyExchange(NewRequestId(), ApiKind.Responses, route, ReadOnlyMemory<byte>.Empty, isStreaming: true, startedAt)
            {
                KeyId = _handshake.KeyId,
                PreviousResponseId = info.PreviousResponseId,
                StreamId = info.StreamId,
            };
            _relay.Logger.LogWarning(ex, "WebSocket upstream {Provider} unreachable for {RequestId}.", route.Provider.Name, exchange.RequestId);
            await RefuseAsync(ClientErrors.Unreachable(route.Provider, exchange.RequestId), info.StreamId, status: 502).ConfigureAwait(false);
            Bill(BillingRecordFactory.Create(exchange, _relay.Pricing, ExchangeOutcome.UpstreamError, EndedBy.Upstream, 502, "upstream_unreachable", _relay.Time.GetUtcNow()));
            return false;
        }

        if (_end.Task.IsCompleted)
        {
            // The session ended while the dial was finishing: nothing may start on this socket.
            upstream.Abort();
            upstream.Dispose();
            return false;
        }

        _upstream = upstream;
        _provider = route.Provider;
        _toUpstream = new SocketSender(upstream, Options.CloseTimeout);
        _upstreamPump = UpstreamPumpAsync(upstream);
        return true;
    }

    // 2. A turn per response.create, on its lane.
    private async Task<ProxyRun?> OpenTurnAsync(ProviderRoute route, ReadOnlyMemory<byte> message, RequestBodyInfo info)
    {
        var exchange = new ProxyExchange(NewRequestId(), ApiKind.Responses, route, message.ToArray(), isStreaming: true, _relay.Time.GetUtcNow())
        {
            KeyId = _handshake.KeyId,
            Turn = Interlocked.Increment(ref _turns),
            PreviousResponseId = info.PreviousResponseId,
            StreamId = info.StreamId,
        };
        exchange.KnowRequestBody(info); // the same bytes the session already read
        ProxyRun run = _relay.Factory.CreateRun(exchange);
        try
        {
            run.ApplyRequestStages();
        }
        catch (RequestBodyException ex)
        {
            await RefuseAsync(new ClientError("invalid_request_body", ex.Message, null), info.StreamId).ConfigureAwait(false);
            EndTurn(run, ExchangeOutcome.Rejected, EndedBy.Relay, "invalid_request_body", 400);
            return null;
        }
        catch (Exception ex)
        {
            // A stage's bug: the turn is not sent; the client is told (with the request id), the log gets the details.
            _relay.Logger.LogError(ex, "A stage's OnRequest failed for {RequestId}; the turn was not sent.", exchange.RequestId);
            await RefuseAsync(ClientErrors.StageFailed(exchange.RequestId), info.StreamId, status: 500).ConfigureAwait(false);
            EndTurn(run, ExchangeOutcome.Failed, EndedBy.Relay, "relay_stage_failed", 500);
            return null;
        }

        lock (_lanesGate)
        {
            string lane = info.StreamId ?? DefaultLane;
            if (!_lanes.TryGetValue(lane, out Queue<ProxyRun>? turns))
            {
                _lanes[lane] = turns = new Queue<ProxyRun>();
            }

            turns.Enqueue(run);
            _namedLanes |= info.StreamId is not null;
        }

        return run;
    }

    // 1'. Upstream → client.
    private async Task UpstreamPumpAsync(WebSocket upstream)
    {
        using var reader = new WebSocketMessageReader(upstream, Options.MaxMessageBytes, Options.ReceiveBufferBytes);
        try
        {
            while (true)
            {
                WebSocketMessage message = await reader.ReceiveAsync(CancellationToken.None).ConfigureAwait(false);
                _idle.Touch();
                switch (message.Kind)
                {
                    case WebSocketMessageKind.Closed:
                        End(SessionEndKind.UpstreamClosed, upstream.CloseStatus ?? WebSocketCloseStatus.NormalClosure, upstream.CloseStatusDescription ?? "");
                        return;
                    case WebSocketMessageKind.TooLarge:
                        End(SessionEndKind.UpstreamTooLarge, WebSocketCloseStatus.MessageTooBig, $"message exceeds {Options.MaxMessageBytes} bytes");
                        return;
                }

                ReadOnlyMemory<byte> forward = OnUpstreamMessage(message, out ProxyRun? ended);
                if (!forward.IsEmpty && !_end.Task.IsCompleted)
                {
                    try
                    {
                        await _toClient.SendAsync(forward, message.Type).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
                    {
                        if (ended is not null)
                        {
                            EndTurn(ended, ExchangeOutcome.ClientAborted, EndedBy.Client, "client_closed_request", 101);
                        }

                        End(SessionEndKind.ClientLost, WebSocketCloseStatus.InternalServerError, "client connection lost");
                        return;
                    }
                }

                if (ended is not null)
                {
                    // Billed after its terminal event was sent: the client has the answer before the record
                    // exists, and a slow billing sink never holds up this socket (see Bill).
                    (ExchangeOutcome outcome, string? code) = ended.Exchange.Terminal switch
                    {
                        TerminalKind.Completed => (ExchangeOutcome.Completed, (string?)null),
                        TerminalKind.Incomplete => (ExchangeOutcome.Incomplete, "response_incomplete"),
                        _ => (ExchangeOutcome.Failed, "upstream_reported_error"),
                    };
                    EndTurn(ended, outcome, EndedBy.Upstream, code, 101);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            End(SessionEndKind.UpstreamLost, WebSocketCloseStatus.InternalServerError, "upstream connection lost");
        }
        catch (Exception ex)
        {
            _relay.Logger.LogError(ex, "WebSocket session failed relaying the upstream.");
            End(SessionEndKind.RelayError, WebSocketCloseStatus.InternalServerError, "relay error");
        }
    }

    /// <summary>
    /// Passes an upstream message through its turn's stages. Returns what to forward (empty: nothing);
    /// <paramref name="ended"/> is the turn this message ended (closed on its lane, billed by the caller once sent).
    /// </summary>
    private ReadOnlyMemory<byte> OnUpstreamMessage(WebSocketMessage message, out ProxyRun? ended)
    {
        ended = null;
        ProxyRun? run = message.Type == WebSocketMessageType.Text ? HeadTurn(message.Payload.Span) : null;
        if (run is null)
        {
            return message.Payload; // not part of a turn (a connection-level error, a binary frame): as it came
        }

        var bytes = new ReadOnlySequence<byte>(message.Payload);
        var frame = new ResponseFrame(FrameKind.WebSocketMessage, bytes, default, bytes, hasData: true);
        bool forward = run.ProcessFrame(ref frame);
        ProxyExchange exchange = run.Exchange;
        exchange.FirstByteAt ??= _relay.Time.GetUtcNow();
        if (exchange.Terminal != TerminalKind.None)
        {
            CloseTurn(run);
            ended = run;
        }

        if (!forward)
        {
            return default;
        }

        return frame.Raw.IsSingleSegment ? frame.Raw.First : frame.Raw.ToArray();
    }

    private ProxyRun? HeadTurn(ReadOnlySpan<byte> message)
    {
        lock (_lanesGate)
        {
            string lane = _namedLanes ? LaneReader.Find(message, _lanes.Keys) ?? DefaultLane : DefaultLane;
            return _lanes.TryGetValue(lane, out Queue<ProxyRun>? turns) && turns.Count > 0 ? turns.Peek() : null;
        }
    }

    private void CloseTurn(ProxyRun run)
    {
        lock (_lanesGate)
        {
            string lane = run.Exchange.StreamId ?? DefaultLane;
            if (_lanes.TryGetValue(lane, out Queue<ProxyRun>? turns) && turns.Count > 0 && ReferenceEquals(turns.Peek(), run))
            {
                turns.Dequeue();
                if (turns.Count == 0)
                {
                    _lanes.Remove(lane);
                }
            }
        }
    }

    /// <summary>Ends a turn: its stages' completion hooks, then its billing record.</summary>
    private void EndTurn(ProxyRun run, ExchangeOutcome outcome, EndedBy endedBy, string? errorCode, int status)
    {
        if (run.Complete() is AggregateException failure)
        {
            _relay.Logger.LogError(failure, "A stage's completion hook failed for {RequestId}; its billing record is unaffected.", run.Exchange.RequestId);
        }

        Bill(BillingRecordFactory.Create(run.Exchange, _relay.Pricing, outcome, endedBy, status, errorCode, _relay.Time.GetUtcNow()));
    }

    /// <summary>
    /// Hands a record to billing without ever waiting on the socket's path: when the billing queue is
    /// full, the hand-off waits on its own and the session awaits every such hand-off before it ends,
    /// so no record is lost and neither pump is held up by a slow sink.
    /// </summary>
    private void Bill(BillingRecord record)
    {
        ValueTask enqueue = _relay.Billing.EnqueueAsync(record);
        if (enqueue.IsCompletedSuccessfully)
        {
            return;
        }

        lock (_billingGate)
        {
            _pendingBilling.RemoveAll(task => task.IsCompleted);
            _pendingBilling.Add(enqueue.AsTask());
        }
    }

    private async Task AwaitPendingBillingAsync()
    {
        Task[] pending;
        lock (_billingGate)
        {
            pending = [.. _pendingBilling];
            _pendingBilling.Clear();
        }

        await Task.WhenAll(pending).ConfigureAwait(false);
    }

    // 5. Turns still open when the session ends are billed as aborted, with what was seen.
    private void BillOpenTurns(SessionEnd end)
    {
        List<ProxyRun> open;
        lock (_lanesGate)
        {
            open = _lanes.Values.SelectMany(turns => turns).OrderBy(run => run.Exchange.Turn).ToList();
            _lanes.Clear();
        }

        foreach (ProxyRun run in open)
        {
            ExchangeOutcome outcome = end.EndedBy == EndedBy.Client ? ExchangeOutcome.ClientAborted : ExchangeOutcome.Failed;
            EndTurn(run, outcome, end.EndedBy, "turn_aborted_" + end.Kind.ToString().ToLowerInvariant(), 101);
        }
    }

    // 4. Pass the end on to the other side.
    private void End(SessionEndKind kind, WebSocketCloseStatus status, string description)
    {
        if (_end.TrySetResult(new SessionEnd(kind, status, description)))
        {
            _ended.Cancel();
        }
    }

    private async Task CloseBothAsync(SessionEnd end)
    {
        (WebSocketCloseStatus toClient, string clientReason, WebSocketCloseStatus toUpstream, string upstreamReason) = end.Kind switch
        {
            SessionEndKind.ClientClosed => (end.Status, end.Description, end.Status, end.Description),
            SessionEndKind.UpstreamClosed => (end.Status, end.Description, end.Status, end.Description),
            SessionEndKind.ClientLost => (end.Status, end.Description, WebSocketCloseStatus.InternalServerError, "client connection lost"),
            SessionEndKind.UpstreamLost => (WebSocketCloseStatus.InternalServerError, "upstream connection lost", end.Status, end.Description),
            SessionEndKind.ClientTooLarge => (WebSocketCloseStatus.MessageTooBig, end.Description, WebSocketCloseStatus.NormalClosure, "client session ended"),
            SessionEndKind.UpstreamTooLarge => (WebSocketCloseStatus.InternalServerError, "upstream " + end.Description, WebSocketCloseStatus.MessageTooBig, end.Description),
            _ => (end.Status, end.Description, end.Status, end.Description),
        };

        _upstreamClose = (toUpstream, upstreamReason);
        Task client = _toClient.CloseAsync(toClient, clientReason);
        Task upstream = _toUpstream?.CloseAsync(toUpstream, upstreamReason) ?? Task.CompletedTask;
        await Task.WhenAll(client, upstream).ConfigureAwait(false);
    }

    /// <summary>
    /// Gives both sides the close timeout to answer their close, then aborts what is left. A pump that
    /// stopped on an oversize message left its peer mid-message: the rest is read and dropped until
    /// the peer's close arrives, because closing a TCP socket with unread bytes resets it and the
    /// close frame would be lost.
    /// </summary>
    private async Task WaitOrAbortAsync(Task clientPump)
    {
        // The client pump first: it may be dialling, and only it starts the upstream pump.
        await WithinCloseTimeoutAsync(clientPump, _client).ConfigureAwait(false);
        if (_toUpstream is not null)
        {
            // Sent once: repeats only when the upstream was connected after the session ended.
            await _toUpstream.CloseAsync(_upstreamClose.Status, _upstreamClose.Reason).ConfigureAwait(false);
        }

        if (_upstreamPump is not null)
        {
            await WithinCloseTimeoutAsync(_upstreamPump, _upstream!).ConfigureAwait(false);
        }

        await WithinCloseTimeoutAsync(DrainAsync(_client), _client).ConfigureAwait(false);
        if (_upstream is not null)
        {
            await WithinCloseTimeoutAsync(DrainAsync(_upstream), _upstream).ConfigureAwait(false);
        }
    }

    /// <summary>Awaits <paramref name="work"/> for at most the close timeout; then aborts <paramref name="socket"/>, which ends it.</summary>
    private async Task WithinCloseTimeoutAsync(Task work, WebSocket socket)
    {
        Task finished = await Task.WhenAny(work, Task.Delay(Options.CloseTimeout, _relay.Time)).ConfigureAwait(false);
        if (finished != work)
        {
            socket.Abort();
        }

        try
        {
            await work.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // Aborted: the peer never answered.
        }
    }

    private static async Task DrainAsync(WebSocket socket)
    {
        byte[] scratch = new byte[1024];
        while (socket.State == WebSocketState.CloseSent)
        {
            ValueWebSocketReceiveResult result = await socket.ReceiveAsync(scratch.AsMemory(), CancellationToken.None).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }
        }
    }

    private static void AbortUnlessClosed(WebSocket? socket)
    {
        if (socket is not null && socket.State != WebSocketState.Closed)
        {
            socket.Abort();
        }
    }

    private async Task RefuseAsync(ClientError error, string? streamId, int status = 400)
    {
        byte[] payload = ClientErrorEvent.Create(status, error.Code, error.Message, error.Param, streamId);
        await _toClient.SendAsync(payload, WebSocketMessageType.Text).ConfigureAwait(false);
    }

    private static bool TryRead(ReadOnlyMemory<byte> payload, out RequestBodyInfo info, out string? error)
    {
        try
        {
            info = RequestBodyReader.Read(payload.Span);
            error = null;
            return true;
        }
        catch (RequestBodyException ex)
        {
            info = default;
            error = ex.Message;
            return false;
        }
    }
}
