using AkkaProxy.Pipeline.Admission;
using System.Net.WebSockets;
using Akka.Actor;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Diagnostics;
using AkkaProxy.Pipeline.Rewrite;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Streams;
using AkkaProxy.Pipeline.Transport;
using AkkaProxy.Pipeline.Usage;
using Microsoft.Extensions.Logging;

namespace AkkaProxy.Pipeline.Supervision;

/// <summary>
/// Supervises one Responses WebSocket session: its graph (<see cref="SessionGraph"/>, one per
/// socket, both directions), its supervisor actor (a <see cref="ConnectionSupervisor"/> with a
/// scope of its own), and the close of both sockets.
/// <code>
///   client ──text──▶ client source ──▶ turns [validate, route, dial once, rewrite model, open turn on its lane] ──▶ upstream sink
///   client ◀─text─── client sink ◀── stages + usage tap ◀── turns [lane → turn; terminal → the turn's end] ◀── upstream source
///                         ▲                                                                       ▲
///                         └──────────────────── this session (RunAsync) ──────────────────────────┘
///   1. the client source reads whole messages (≤ max); the upstream is dialled before the upgrade was
///      answered when it named its provider (adopted at the start), else lazily, at the first
///      response.create whose model routes; bad client messages get an error event, the socket stays open;
///   2. each response.create opens a turn (a ProxyExchange + ProxyRun) on its lane (stream_id, or the
///      default lane); upstream events go to the head turn of their lane; a terminal event ends it;
///   3. each direction sends before it reads again: a slow reader slows the other side;
///   4. the first end (a close, a lost socket, an oversize message, idle timeout, shutdown, a failed
///      graph) decides: a close is passed on with the same code and reason, an abnormal end becomes
///      1011 (1001 on shutdown or idle); the peer gets the close timeout to answer, then both sockets
///      are aborted;
///   5. a turn is billed once its terminal event was sent (the client sink reaches the turn's end),
///      without holding up either direction; turns still open at the end are billed as aborted with
///      the usage seen; refused response.create messages are billed as rejected; the session ends
///      once every record was handed to billing. The ledger of the session's scope holds the open
///      turns: if the graph fails, the supervisor actor bills them when it stops.
/// </code>
/// The decisions (what a client message means, which turn an upstream event belongs to) are this
/// class's; the turn stage carries them out inside the graph, on the graph's thread.
/// </summary>
internal sealed class WebSocketSession : ISocketSession
{
    private const string DefaultLane = "";

    private readonly WebSocketRelay _relay;
    private readonly WebSocket _client;
    private readonly WebSocketHandshake _handshake;
    private readonly SocketSender _toClient;
    private readonly Dictionary<string, Queue<ExchangeBinding>> _lanes = new(StringComparer.Ordinal);
    private readonly Lock _lanesGate = new();
    private readonly TaskCompletionSource<SessionEnd> _end = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ActivityTimeout _idle;
    private readonly CancellationTokenSource _ended = new();
    private readonly HashSet<string> _seenLanes = new(StringComparer.Ordinal);
    private readonly ConnectionScope _scope = new();
    private readonly System.Diagnostics.ActivityContext _traceParent = ExchangeTracing.CurrentContext(); // the upgrade request's: each turn's span is its child
    private System.Diagnostics.Activity? _dialSpan; // the first turn's span, started by its dial
    private (WebSocketCloseStatus Status, string Reason) _upstreamClose = (WebSocketCloseStatus.NormalClosure, "");
    private IActorRef _supervisor = ActorRefs.Nobody;
    private SessionGraph? _graph;
    private WebSocket? _upstream;
    private SocketSender? _toUpstream;
    private Task? _dialling;
    private Provider? _provider;
    private string? _lastModel;
    private bool _namedLanes;
    private int _turns;

    private readonly UpstreamUpgrade? _ahead;

    public WebSocketSession(WebSocketRelay relay, WebSocket client, WebSocketHandshake handshake, UpstreamUpgrade? ahead = null)
    {
        _relay = relay;
        _client = client;
        _handshake = handshake;
        _ahead = ahead;
        _lastModel = handshake.Model; // a response.create without a model takes the upgrade's, then the last turn's
        _toClient = new SocketSender(client, relay.Options.CloseTimeout);
        _idle = new ActivityTimeout(relay.Options.IdleTimeout, relay.Time);
    }

    private WebSocketRelayOptions Options => _relay.Options;

    /// <inheritdoc/>
    public ActivityTimeout Activity => _idle;

    /// <inheritdoc/>
    public SocketSender ToClient => _toClient;

    /// <summary>The session's clock, now.</summary>
    public DateTimeOffset Now => _relay.Time.GetUtcNow();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        IActorRef supervisor = _supervisor = _scope.Supervisor(_relay.NewSupervisor);
        SessionGraph graph;
        _relay.Connections.GraphStarted(); // before the graph can tell it stopped
        try
        {
            graph = _graph = new SessionGraph(this, _relay.SessionBlueprint, _relay.Materializer);
        }
        catch
        {
            _relay.Connections.GraphStopped(); // it never ran
            _scope.Dispose();
            _client.Abort();
            _client.Dispose();
            _idle.Dispose();
            throw;
        }

        _scope.Adopt(graph);
        supervisor.Tell(new ConnectionSupervisor.GraphStarted(graph));
        // Static callbacks with the session as state: no closure per registration kept for the socket's life.
        using CancellationTokenRegistration onIdle = _idle.Token.Register(static state => ((WebSocketSession)state!).End(SessionEndKind.IdleTimeout, WebSocketCloseStatus.EndpointUnavailable, "idle timeout"), this);
        using CancellationTokenRegistration onShutdown = _relay.Shutdown.Register(static state => ((WebSocketSession)state!).End(SessionEndKind.Shutdown, WebSocketCloseStatus.EndpointUnavailable, "relay shutting down"), this);
        using CancellationTokenRegistration onDrain = _relay.Draining.Register(static state => ((WebSocketSession)state!).EndIfDrained(), this);
        using CancellationTokenRegistration onAbort = cancellationToken.Register(static state => ((WebSocketSession)state!).End(SessionEndKind.ClientLost, WebSocketCloseStatus.InternalServerError, "client connection lost"), this);
        if (_ahead?.Take() is { } upstream)
        {
            // Dialled before the upgrade was answered: the session is bound to its provider from the start.
            _upstream = upstream;
            _provider = _ahead.Provider;
            _toUpstream = new SocketSender(upstream, Options.CloseTimeout);
            graph.UpstreamSource.Attach(upstream, OnUpstreamEnded);
        }

        graph.ClientSource.Attach(_client, OnClientEnded); // only now: nothing of the session runs before the graph is known
        try
        {
            SessionEnd end = await _end.Task.ConfigureAwait(false);
            await CloseBothAsync(end).ConfigureAwait(false);
            await WaitOrAbortAsync(graph).ConfigureAwait(false);
            BillOpenTurns(end);
        }
        finally
        {
            // A first turn dialled but never opened (the session ended in between) has a span no record will end.
            ExchangeTracing.Abandon(Interlocked.Exchange(ref _dialSpan, null), "session_ended");
            AbortUnlessClosed(_client);
            AbortUnlessClosed(_upstream);
            graph.Shutdown();
            try
            {
                await graph.Stopped.ConfigureAwait(false); // every send and read of the graph is over
            }
            catch (Exception)
            {
                // A failed graph was logged and has ended the session already.
            }

            _scope.Dispose(); // after every turn's end was told: the supervisor bills what is still open as aborted, and stops
            _client.Dispose();
            _upstream?.Dispose();
            _idle.Dispose();
            _ended.Dispose();
        }
    }

    /// <summary>Logs that one of this session's own callbacks, told by its graph, threw (a bug of the relay's).</summary>
    internal void GraphCallbackFailed(Exception failure) => _relay.Logger.LogError(failure, "A WebSocket session's graph callback threw.");

    /// <summary>The session's graph stopped (told by it once): the relay counts one graph fewer.</summary>
    internal void GraphStopped() => _relay.Connections.GraphStopped();

    /// <summary>A socket sink of the session's graph failed (told by it once): logged, and the session ends with 1011.</summary>
    internal void GraphFailed(Exception failure)
    {
        _relay.Logger.LogError(failure, "A WebSocket session's graph failed.");
        End(SessionEndKind.RelayError, WebSocketCloseStatus.InternalServerError, "relay error");
    }

    // 1. How each side stopped reading.
    private void OnClientEnded(SocketEnd end, Exception? failure)
    {
        switch (end)
        {
            case SocketEnd.Closed:
                End(SessionEndKind.ClientClosed, _client.CloseStatus ?? WebSocketCloseStatus.NormalClosure, _client.CloseStatusDescription ?? "");
                return;
            case SocketEnd.TooLarge:
                End(SessionEndKind.ClientTooLarge, WebSocketCloseStatus.MessageTooBig, $"message exceeds {Options.MaxMessageBytes} bytes");
                return;
        }

        if (IsSocketFailure(failure))
        {
            End(SessionEndKind.ClientLost, WebSocketCloseStatus.InternalServerError, "client connection lost");
            return;
        }

        _relay.Logger.LogError(failure, "WebSocket session failed reading the client.");
        End(SessionEndKind.RelayError, WebSocketCloseStatus.InternalServerError, "relay error");
    }

    private void OnUpstreamEnded(SocketEnd end, Exception? failure)
    {
        WebSocket upstream = _upstream!;
        switch (end)
        {
            case SocketEnd.Closed:
                End(SessionEndKind.UpstreamClosed, upstream.CloseStatus ?? WebSocketCloseStatus.NormalClosure, upstream.CloseStatusDescription ?? "");
                return;
            case SocketEnd.TooLarge:
                End(SessionEndKind.UpstreamTooLarge, WebSocketCloseStatus.MessageTooBig, $"message exceeds {Options.MaxMessageBytes} bytes");
                return;
        }

        if (IsSocketFailure(failure))
        {
            End(SessionEndKind.UpstreamLost, WebSocketCloseStatus.InternalServerError, "upstream connection lost");
            return;
        }

        _relay.Logger.LogError(failure, "WebSocket session failed relaying the upstream.");
        End(SessionEndKind.RelayError, WebSocketCloseStatus.InternalServerError, "relay error");
    }

    private static bool IsSocketFailure(Exception? failure) =>
        failure is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException;

    /// <summary>Whether the session has ended and is closing both sockets.</summary>
    public bool IsClosing() => _end.Task.IsCompleted;

    /// <summary>The client sink could not send: the client is gone.</summary>
    public void ClientSendFailed(Exception failure) =>
        End(SessionEndKind.ClientLost, WebSocketCloseStatus.InternalServerError, "client connection lost");

    /// <summary>The upstream sink could not send: a failure there is the upstream's, not the client's.</summary>
    public void UpstreamSendFailed(Exception failure) =>
        End(SessionEndKind.UpstreamLost, WebSocketCloseStatus.InternalServerError, "upstream connection lost");

    /// <summary>Where the upstream sink sends: it is given messages only once the upstream was dialled.</summary>
    public SocketSender UpstreamSender() => _toUpstream ?? throw new InvalidOperationException("No upstream socket yet.");

    /// <summary>
    /// Decides what one client message means. Only JSON text messages are part of the protocol;
    /// anything the relay cannot read is refused, never forwarded: a message it cannot read could be
    /// a response.create it would neither route nor bill.
    /// </summary>
    internal ClientStep Decide(SocketMessage message)
    {
        if (_end.Task.IsCompleted)
        {
            return ClientStep.Nothing; // the session is ending: what still arrives is read and dropped
        }

        if (message.Type != WebSocketMessageType.Text)
        {
            return Refusal(ClientErrors.Binary, null);
        }

        if (!TryRead(message.Payload, out RequestBodyInfo info, out string? unreadable))
        {
            return Refusal(ClientErrors.Unreadable(unreadable), null);
        }

        if (info.Type != "response.create")
        {
            return _toUpstream is not null
                ? ClientStep.Forward(message.Payload, message.Type) // passes byte for byte
                : Refusal(ClientErrors.FirstMessage(info.Type), null);
        }

        if (LaneRefusal(info.StreamId) is (byte[] laneError, string laneCode))
        {
            return ClientStep.Refuse(laneError, Rejected(info, null, 400, laneCode));
        }

        if (_relay.IsDraining)
        {
            // Draining: the open turns finish, then the socket closes with 1001; nothing new starts.
            return TurnRefusal(ClientErrors.ShuttingDown, info, null, 503, "server_error");
        }

        if (OpenTurnCount() >= Options.MaxOpenTurns)
        {
            return TurnRefusal(ClientErrors.TooManyOpenTurns(Options.MaxOpenTurns), info, null);
        }

        string? model = info.Model ?? _lastModel;
        if (model is null)
        {
            return TurnRefusal(ClientErrors.MissingModel, info, null);
        }

        if (!_relay.Router.TryResolve(model, out ProviderRoute route, out string routeError))
        {
            return TurnRefusal(new ClientError("model_not_found", routeError, "model"), info with { Model = model }, null);
        }

        if (!route.Provider.HasWebSocketMode)
        {
            return TurnRefusal(ClientErrors.NoWebSocketMode(route.Provider), info, route);
        }

        if (_provider is not null && route.Provider != _provider)
        {
            return TurnRefusal(ClientErrors.ProviderSwitch(route.Provider, _provider), info, route);
        }

        if (route.Provider.IsMissingKey)
        {
            return TurnRefusal(ClientErrors.MissingKey(route.Provider), info, route, status: 500);
        }

        if (_relay.Factory.Admission is { } admission)
        {
            ValueTask<AdmissionRefusal?> decision = admission.AdmitAsync(new AdmissionRequest(_handshake.KeyId, ApiKind.Responses, route, model), _ended.Token);
            if (!decision.IsCompletedSuccessfully)
            {
                return ClientStep.Admit(decision.AsTask(), route, info, model); // the turn stage waits, then asks Admitted
            }

            if (decision.Result is { } refusal)
            {
                return AdmissionRefusal(refusal, info, model, route);
            }
        }

        return Admitted(route, message.Payload, info, model);
    }

    /// <summary>The turn was admitted (or needs no admission): dial the upstream once, or open the turn on it.</summary>
    internal ClientStep Admitted(ProviderRoute route, ReadOnlyMemory<byte> message, RequestBodyInfo info, string model) =>
        _upstream is null ? ClientStep.Dial(route, info, model) : OpenTurn(route, message, info, model);

    /// <summary>An admission the turn stage waited for has answered: its refusal, or the turn goes on (unless the session ended meanwhile).</summary>
    internal ClientStep AfterAdmission(Task<AdmissionRefusal?> decision, ClientStep asked, ReadOnlyMemory<byte> message)
    {
        if (_end.Task.IsCompleted)
        {
            return ClientStep.Nothing;
        }

        if (!decision.IsCompletedSuccessfully)
        {
            return AdmissionRefusal(LimitsUnavailable, asked.Info, asked.Model!, asked.Route!);
        }

        return decision.Result is { } refusal
            ? AdmissionRefusal(refusal, asked.Info, asked.Model!, asked.Route!)
            : Admitted(asked.Route!, message, asked.Info, asked.Model!);
    }

    private static readonly AdmissionRefusal LimitsUnavailable = new(503, "limits_unavailable",
        "The relay could not reach this key's limits; retry in a moment.", TimeSpan.FromSeconds(1), "server_error");

    /// <summary>A budget or rate limit of the key: this turn is refused, the socket stays open for later ones.</summary>
    private ClientStep AdmissionRefusal(AdmissionRefusal refusal, RequestBodyInfo info, string model, ProviderRoute route) =>
        TurnRefusal(new ClientError(refusal.Code, refusal.Message, null), info with { Model = model }, route, refusal.Status, refusal.Type);

    /// <summary>Refuses a <c>response.create</c> with an error event, and records it: outcome rejected, cost 0, nothing went upstream.</summary>
    private ClientStep TurnRefusal(ClientError error, RequestBodyInfo info, ProviderRoute? route, int status = 400, string type = "invalid_request_error") =>
        ClientStep.Refuse(ClientErrorEvent.Create(status, error.Code, error.Message, error.Param, info.StreamId, type), Rejected(info, route, status, error.Code));

    private static ClientStep Refusal(ClientError error, string? streamId, int status = 400) =>
        ClientStep.Refuse(ClientErrorEvent.Create(status, error.Code, error.Message, error.Param, streamId));

    private BillingRecord Rejected(RequestBodyInfo info, ProviderRoute? route, int status, string code) =>
        BillingRecordFactory.Rejected(new RejectedRequest
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
        }, _relay.Time.GetUtcNow());

    /// <summary>Sends a refusal to the client, then bills it; a client that is gone ends the session.</summary>
    internal async Task RefuseAsync(ClientStep refusal)
    {
        try
        {
            await _toClient.SendAsync(refusal.Payload, WebSocketMessageType.Text).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsSocketFailure(ex))
        {
            End(SessionEndKind.ClientLost, WebSocketCloseStatus.InternalServerError, "client connection lost");
        }

        if (refusal.BillAfterSent is { } record)
        {
            Bill(record);
        }
    }

    /// <summary>Sends an upstream message that belongs to no turn to the client, as it came.</summary>
    internal async Task PassOnAsync(SocketMessage message)
    {
        if (IsClosing())
        {
            return; // the client gets its close, not more events
        }

        try
        {
            await _toClient.SendAsync(message.Payload, message.Type).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsSocketFailure(ex))
        {
            End(SessionEndKind.ClientLost, WebSocketCloseStatus.InternalServerError, "client connection lost");
        }
    }

    private static string NewRequestId() => RequestIds.New();
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

    /// <summary>
    /// Dials the upstream for the session's first turn. A socket that arrives after the session ended
    /// is aborted; one that arrives in time is adopted and its source starts reading it.
    /// </summary>
    internal Task<bool> DialAsync(ProviderRoute route, RequestBodyInfo info)
    {
        Task<bool> dial = DialCoreAsync(route, info);
        _dialling = dial;
        return dial;
    }

    /// <summary>
    /// Forgets <paramref name="dial"/> once it has finished and its turn has seen the result, so the
    /// session does not keep the dial's state machine for its life (the end waits only for a dial still running).
    /// </summary>
    internal void ForgetDial(Task dial) => Interlocked.CompareExchange(ref _dialling, null, dial);

    private async Task<bool> DialCoreAsync(ProviderRoute route, RequestBodyInfo info)
    {
        DateTimeOffset startedAt = _relay.Time.GetUtcNow();
        string? queryModel = _handshake.Model is null ? null : route.UpstreamModel;

        // The exchange a failed dial is billed as: nothing went upstream, nothing came back.
        ProxyExchange FailedDial() => new(NewRequestId(), ApiKind.Responses, route, ReadOnlyMemory<byte>.Empty, isStreaming: true, startedAt)
        {
            KeyId = _handshake.KeyId,
            PreviousResponseId = info.PreviousResponseId,
            StreamId = info.StreamId,
        };
        // The first turn's span starts with its dial, so the upstream's upgrade carries its traceparent.
        System.Diagnostics.Activity? span = ExchangeTracing.StartTurn(route, _traceParent);
        WebSocketHandshake handshake = span is null ? _handshake : _handshake with { ForwardedHeaders = TracePropagation.WithTraceContext(_handshake.ForwardedHeaders, span) };
        WebSocket upstream;
        try
        {
            upstream = await _relay.Dialer.ConnectAsync(route.Provider, handshake, queryModel, _ended.Token).ConfigureAwait(false);
            UpgradeResponseHeaders.Take(upstream); // the client's 101 was sent long ago
        }
        catch (OperationCanceledException) when (_ended.IsCancellationRequested)
        {
            ExchangeTracing.Abandon(span, "session_ended");
            return false; // the session ended while dialling
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or HttpRequestException)
        {
            // The exception names the upstream's host and port: the log gets it, the client the request id.
            ProxyExchange exchange = FailedDial();
            ExchangeTracing.Attach(exchange, span);
            _relay.Logger.LogWarning(ex, "WebSocket upstream {Provider} unreachable for {RequestId}.", route.Provider.Name, exchange.RequestId);
            ClientError error = ClientErrors.Unreachable(route.Provider, exchange.RequestId);
            await RefuseAsync(ClientStep.Refuse(
                ClientErrorEvent.Create(502, error.Code, error.Message, error.Param, info.StreamId),
                Billed(exchange, ExchangeOutcome.UpstreamError, EndedBy.Upstream, 502, "upstream_unreachable"))).ConfigureAwait(false);
            return false;
        }
        catch (Exception ex)
        {
            // A bug (in a dialer, say): the session ends with 1011, the request is billed as failed.
            ProxyExchange exchange = FailedDial();
            ExchangeTracing.Attach(exchange, span);
            _relay.Logger.LogError(ex, "Dialling the WebSocket upstream {Provider} failed for {RequestId}.", route.Provider.Name, exchange.RequestId);
            Bill(Billed(exchange, ExchangeOutcome.Failed, EndedBy.Relay, 500, "relay_error"));
            End(SessionEndKind.RelayError, WebSocketCloseStatus.InternalServerError, "relay error");
            return false;
        }

        lock (_lanesGate)
        {
            if (_end.Task.IsCompleted)
            {
                // The session ended while the dial was finishing: nothing may start on this socket.
                upstream.Abort();
                upstream.Dispose();
                ExchangeTracing.Abandon(span, "session_ended");
                return false;
            }

            _dialSpan = span;
            _upstream = upstream;
            _provider = route.Provider;
            _toUpstream = new SocketSender(upstream, Options.CloseTimeout);
        }

        _graph!.UpstreamSource.Attach(upstream, OnUpstreamEnded);
        return true;
    }

    // 2. A turn per response.create, on its lane.

    /// <summary>Opens a turn for a <c>response.create</c>: its run, its request stages, its place on its lane; then it is sent.</summary>
    internal ClientStep OpenTurn(ProviderRoute route, ReadOnlyMemory<byte> message, RequestBodyInfo info, string model)
    {
        var exchange = new ProxyExchange(NewRequestId(), ApiKind.Responses, route, message.ToArray(), isStreaming: true, _relay.Time.GetUtcNow())
        {
            KeyId = _handshake.KeyId,
            Turn = Interlocked.Increment(ref _turns),
            PreviousResponseId = info.PreviousResponseId,
            StreamId = info.StreamId,
        };
        exchange.KnowRequestBody(info); // the same bytes the session already read
        ExchangeTracing.Attach(exchange, Interlocked.Exchange(ref _dialSpan, null) ?? ExchangeTracing.StartTurn(route, _traceParent));
        ProxyRun run = _relay.Factory.CreateRun(exchange);
        try
        {
            run.ApplyRequestStages();
        }
        catch (RequestBodyException ex)
        {
            return ClientStep.Refuse(
                ClientErrorEvent.Create(400, "invalid_request_body", ex.Message, null, info.StreamId),
                TurnRecord(run, ExchangeOutcome.Rejected, EndedBy.Relay, "invalid_request_body", 400));
        }
        catch (Exception ex)
        {
            // A stage's bug: the turn is not sent; the client is told (with the request id), the log gets the details.
            _relay.Logger.LogError(ex, "A stage's OnRequest failed for {RequestId}; the turn was not sent.", exchange.RequestId);
            ClientError error = ClientErrors.StageFailed(exchange.RequestId);
            return ClientStep.Refuse(
                ClientErrorEvent.Create(500, error.Code, error.Message, error.Param, info.StreamId),
                TurnRecord(run, ExchangeOutcome.Failed, EndedBy.Relay, "relay_stage_failed", 500));
        }

        var turn = new ExchangeBinding(run, null!, null!, FrameKind.WebSocketMessage, _idle, _relay.Time, CancellationToken.None);
        lock (_lanesGate)
        {
            string lane = info.StreamId ?? DefaultLane;
            if (!_lanes.TryGetValue(lane, out Queue<ExchangeBinding>? turns))
            {
                _lanes[lane] = turns = new Queue<ExchangeBinding>();
            }

            turns.Enqueue(turn);
            _namedLanes |= info.StreamId is not null;
        }

        _supervisor.Tell(new ConnectionSupervisor.ExchangeOpened(run));
        _lastModel = model;
        ReadOnlyMemory<byte> request = exchange.RequestBody;
        exchange.RequestBody = ReadOnlyMemory<byte>.Empty; // an open turn keeps its accounting, not its (up to 16 MiB) request
        return ClientStep.Forward(request, WebSocketMessageType.Text);
    }

    /// <summary>The head turn of the lane an upstream message belongs to, or null when it belongs to no turn.</summary>
    internal ExchangeBinding? HeadTurn(SocketMessage message)
    {
        if (message.Type != WebSocketMessageType.Text)
        {
            return null;
        }

        lock (_lanesGate)
        {
            string lane = _namedLanes ? LaneReader.Find(message.Payload.Span, _lanes.Keys) ?? DefaultLane : DefaultLane;
            return _lanes.TryGetValue(lane, out Queue<ExchangeBinding>? turns) && turns.Count > 0 ? turns.Peek() : null;
        }
    }

    /// <summary>A turn saw its terminal event: the lane's next turn takes the lane's events from now on.</summary>
    internal void CloseTurn(ExchangeBinding turn)
    {
        lock (_lanesGate)
        {
            string lane = turn.Exchange.StreamId ?? DefaultLane;
            if (_lanes.TryGetValue(lane, out Queue<ExchangeBinding>? turns) && turns.Count > 0 && ReferenceEquals(turns.Peek(), turn))
            {
                turns.Dequeue();
                if (turns.Count == 0)
                {
                    _lanes.Remove(lane);
                }
            }
        }
    }

    /// <summary>
    /// A turn's end reached the client sink, after its terminal event was sent: billed now, so the
    /// client has the answer before the record exists, and a slow billing sink never holds up this
    /// socket (see <see cref="Bill"/>).
    /// </summary>
    public void EndTurn(ExchangeBinding turn)
    {
        if (turn.ClientEnded)
        {
            FinishTurn(turn.Run, ExchangeOutcome.ClientAborted, EndedBy.Client, "client_closed_request", 101);
            EndIfDrained();
            return;
        }

        (ExchangeOutcome outcome, string? code) = turn.Exchange.Terminal switch
        {
            TerminalKind.Completed => (ExchangeOutcome.Completed, (string?)null),
            TerminalKind.Incomplete => (ExchangeOutcome.Incomplete, "response_incomplete"),
            _ => (ExchangeOutcome.Failed, "upstream_reported_error"),
        };
        FinishTurn(turn.Run, outcome, EndedBy.Upstream, code, 101);
        EndIfDrained();
    }

    /// <summary>Draining, and no turn open: the session closes both sockets with 1001 (after the last turn's terminal event was sent).</summary>
    private void EndIfDrained()
    {
        if (_relay.IsDraining && OpenTurnCount() == 0)
        {
            End(SessionEndKind.Shutdown, WebSocketCloseStatus.EndpointUnavailable, "relay shutting down");
        }
    }

    /// <summary>Ends a turn: its stages' completion hooks, then its end told to the session's supervisor, which bills it (once: the first end it hears of decides).</summary>
    private void FinishTurn(ProxyRun run, ExchangeOutcome outcome, EndedBy endedBy, string? errorCode, int status)
    {
        if (run.Complete() is AggregateException failure)
        {
            _relay.Logger.LogError(failure, "A stage's completion hook failed for {RequestId}; its billing record is unaffected.", run.Exchange.RequestId);
        }

        _relay.Connections.EndTold();
        _supervisor.Tell(new ConnectionSupervisor.ExchangeEnded(run, new ExchangeVerdict(outcome, endedBy, status, errorCode), HoldsCredit: false));
    }

    /// <summary>The record of a turn that never opened (refused by a stage): its hooks run, then its record is made here; nothing else can end it.</summary>
    private BillingRecord TurnRecord(ProxyRun run, ExchangeOutcome outcome, EndedBy endedBy, string? errorCode, int status)
    {
        if (run.Complete() is AggregateException failure)
        {
            _relay.Logger.LogError(failure, "A stage's completion hook failed for {RequestId}; its billing record is unaffected.", run.Exchange.RequestId);
        }

        return Billed(run.Exchange, outcome, endedBy, status, errorCode);
    }

    /// <summary>The record of a turn nothing else can end (refused, or its dial failed); its span ends with it.</summary>
    private BillingRecord Billed(ProxyExchange exchange, ExchangeOutcome outcome, EndedBy endedBy, int status, string? errorCode)
    {
        BillingRecord record = BillingRecordFactory.Create(exchange, _relay.Pricing, outcome, endedBy, status, errorCode, _relay.Time.GetUtcNow());
        ExchangeTracing.Stop(exchange, record);
        return record;
    }

    /// <summary>
    /// Emits a record through the session's supervisor, in order with the turns' records; never waits on
    /// the socket's path (a full billing queue is waited for in the background, and the shutdown drain
    /// waits for that), so neither direction is held up by a slow sink.
    /// </summary>
    private void Bill(BillingRecord record)
    {
        _relay.Connections.EndTold();
        _supervisor.Tell(new ConnectionSupervisor.Emit(record));
    }

    // 5. Turns still open when the session ends are billed as aborted, with what was seen.
    private void BillOpenTurns(SessionEnd end)
    {
        List<ExchangeBinding> open;
        lock (_lanesGate)
        {
            open = _lanes.Values.SelectMany(turns => turns).OrderBy(turn => turn.Exchange.Turn).ToList();
            _lanes.Clear();
        }

        foreach (ExchangeBinding turn in open)
        {
            ExchangeOutcome outcome = end.EndedBy == EndedBy.Client ? ExchangeOutcome.ClientAborted : ExchangeOutcome.Failed;
            FinishTurn(turn.Run, outcome, end.EndedBy, "turn_aborted_" + end.Kind.ToString().ToLowerInvariant(), 101);
        }
    }

    // 4. Pass the end on to the other side.
    private void End(SessionEndKind kind, WebSocketCloseStatus status, string description)
    {
        bool first;
        lock (_lanesGate)
        {
            first = _end.TrySetResult(new SessionEnd(kind, status, description)); // under the lock: a dial adopts its socket before or never
        }

        if (first)
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
    /// Gives both sides the close timeout to answer their close, then aborts what is left. A source
    /// that stopped on an oversize message left its peer mid-message: the rest is read and dropped
    /// until the peer's close arrives, because closing a TCP socket with unread bytes resets it and
    /// the close frame would be lost.
    /// </summary>
    private async Task WaitOrAbortAsync(SessionGraph graph)
    {
        await WithinCloseTimeoutAsync(graph.ClientSource, _client).ConfigureAwait(false);
        if (Volatile.Read(ref _dialling) is { } dialling)
        {
            await dialling.ConfigureAwait(false); // cancelled by the end; a socket that arrives now is aborted
        }

        if (_toUpstream is not null)
        {
            // Sent once: repeats only when the upstream was connected after the session ended.
            await _toUpstream.CloseAsync(_upstreamClose.Status, _upstreamClose.Reason).ConfigureAwait(false);
            await WithinCloseTimeoutAsync(graph.UpstreamSource, _upstream!).ConfigureAwait(false);
        }
        else
        {
            graph.UpstreamSource.Shutdown(); // never dialled: nothing will be attached
        }

        await WithinCloseTimeoutAsync(DrainAsync(_client), _client).ConfigureAwait(false);
        if (_upstream is not null)
        {
            await WithinCloseTimeoutAsync(DrainAsync(_upstream), _upstream).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Awaits the end of a source's reads for at most the close timeout; then aborts its socket (which
    /// ends a read in progress) and stops the source (which may not be reading: its side was not asking).
    /// </summary>
    private async Task WithinCloseTimeoutAsync(SocketSource.Control source, WebSocket socket)
    {
        if (await Task.WhenAny(source.Stopped, Task.Delay(Options.CloseTimeout, _relay.Time)).ConfigureAwait(false) != source.Stopped)
        {
            socket.Abort();    // ends a read in progress
            source.Shutdown(); // and stops a source that was not reading
        }

        await source.Stopped.ConfigureAwait(false);
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
