using AkkaProxy.Pipeline.Admission;
using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using Akka.Actor;
using Akka.Streams;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Diagnostics;
using AkkaProxy.Pipeline.Framing;
using AkkaProxy.Pipeline.Pooling;
using AkkaProxy.Pipeline.Rewrite;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Streams;
using AkkaProxy.Pipeline.Transport;
using AkkaProxy.Pipeline.Usage;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace AkkaProxy.Pipeline.Supervision;

/// <summary>
/// Relays one HTTP exchange and supervises it:
/// <code>
///   client ──POST──▶ [read body ≤ max] ▶ [route] ▶ request stages ▶ ──▶ upstream
///   client ◀─bytes── sink ◀ stages ◀ frame decoder ◀ PipeReader ◀─── upstream body
///                          ▲                                   ▲
///                          └────── supervisor (this class) ────┘
///   1. read and inspect the body; refuse bad input in the API's error shape (no upstream call);
///   2. route; build the run; pass the request through the stages;
///   3. send; unreachable → 502, no headers in time → 504, non-2xx → relayed unchanged;
///   4. pump the body through the stages; every read and write re-arms the idle timeout;
///   5. whichever side ends first, cancel and dispose the other (client gone → upstream closed
///      at once; upstream failed → a terminal error event, in the API's shape, to the client);
///   6. complete the run, then emit the billing record exactly once, after the response ended.
/// </code>
/// </summary>
/// <remarks>Thread-safe; one instance serves every request.</remarks>
public sealed class HttpRelay
{
    /// <summary>The response header carrying the relay's request id.</summary>
    public const string RequestIdHeader = "x-akkaproxy-request-id";

    private readonly ProxyStreamFactory _factory;
    private readonly ModelRouter _router;
    private readonly HttpMessageInvoker _upstream;
    private readonly RecordOutlet _outlet;
    private readonly PricingTable _pricing;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationToken _shutdown;
    private readonly ActorSystem _system;
    private readonly ConnectionGraphPool _graphs;
    private readonly Func<ConnectionScope, IActorRef> _newSupervisor;

    /// <summary>Creates the relay.</summary>
    /// <param name="factory">The pipeline blueprint.</param>
    /// <param name="router">Model → provider.</param>
    /// <param name="upstream">The upstream client (see <see cref="UpstreamClientFactory"/>).</param>
    /// <param name="billing">Where billing records go.</param>
    /// <param name="pricing">Prices.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="system">The actor system the connection supervisors and graphs run in.</param>
    /// <param name="shutdown">Fires when the host stops; open exchanges end with <see cref="EndedBy.Shutdown"/>.</param>
    public HttpRelay(ProxyStreamFactory factory, ModelRouter router, HttpMessageInvoker upstream, BillingGateway billing, PricingTable pricing, TimeProvider time, ILogger<HttpRelay> logger, ActorSystem system, CancellationToken shutdown = default)
    {
        _factory = factory;
        _system = system;
        IMaterializer materializer = system.Materializer();
        _graphs = new ConnectionGraphPool(() => new ConnectionGraph(factory, materializer, Connections), factory.Options.IdleGraphs);
        _outlet = new RecordOutlet(billing, factory.Admission);
        _newSupervisor = scope => ConnectionSupervisor.Start(system, scope, _outlet, pricing, time, Connections);
        _router = router;
        _upstream = upstream;
        _pricing = pricing;
        _time = time;
        _logger = logger;
        _shutdown = shutdown;
    }

    /// <summary>
    /// Starts a graceful drain: from now on a new request is refused with 503 <c>relay_shutting_down</c>
    /// and <c>Connection: close</c>, while requests already in flight go on until they end or the
    /// relay's shutdown token fires (the drain's deadline). Idempotent.
    /// </summary>
    public void StartDraining() => _draining = true;

    /// <summary>Whether <see cref="StartDraining"/> was called.</summary>
    public bool IsDraining => _draining;

    private volatile bool _draining;

    /// <summary>Requests being handled right now (read, routed, relayed or billed).</summary>
    public int OpenExchanges => Volatile.Read(ref _openExchanges);

    private int _openExchanges;

    /// <summary>
    /// The upstream socket pools for providers with <c>transport = websocket</c>; without them every
    /// request goes over HTTP.
    /// </summary>
    internal UpstreamSocketPools? SocketPools { get; init; }

    /// <summary>The connection supervisors and graphs of this relay.</summary>
    public ConnectionCounters Connections { get; } = new();

    /// <summary>The API path each API is served on.</summary>
    public static string PathOf(ApiKind api) => UpstreamUris.PathOf(api);

    /// <summary>Relays the request in <paramref name="context"/> as <paramref name="api"/>.</summary>
    /// <param name="context">The client's exchange.</param>
    /// <param name="api">The API the endpoint serves.</param>
    /// <param name="keyId">The authenticated relay key's id, if any.</param>
    public async Task ForwardAsync(HttpContext context, ApiKind api, string? keyId)
    {
        Interlocked.Increment(ref _openExchanges);
        try
        {
            DateTimeOffset startedAt = _time.GetUtcNow();
            string requestId = RequestIds.New();
            context.Response.Headers[RequestIdHeader] = requestId;
            // Built only when a request is refused: the accepted path allocates nothing for it.
            RejectedRequest Rejection(int status, string code, RequestBodyInfo info = default, ProviderRoute? route = null) => new()
            {
                RequestId = requestId, Api = api, KeyId = keyId, StartedAt = startedAt, HttpStatus = status, ErrorCode = code,
                RequestedModel = info.Model, Streaming = info.Stream, Route = route,
            };

            if (_draining)
            {
                // Draining: what is in flight finishes, nothing new starts. The client retries elsewhere.
                context.Response.Headers.Connection = "close";
                if (context.Request.Headers.ContainsKey(AffinityHeaders.Forwarded))
                {
                    // Sent on by another relay node, which serves it itself on this answer: its record is that node's.
                    context.Response.Headers[AffinityHeaders.Draining] = "1";
                    await WriteErrorAsync(context, api, StatusCodes.Status503ServiceUnavailable, "server_error", "relay_shutting_down", "The relay is shutting down.").ConfigureAwait(false);
                    return;
                }

                await RejectAsync(context, Rejection(StatusCodes.Status503ServiceUnavailable, "relay_shutting_down"), "server_error",
                    "The relay is shutting down and takes no new requests; retry the request.").ConfigureAwait(false);
                return;
            }

            // 1. Read and inspect the body.
            byte[]? body;
            try
            {
                body = await RequestBodies.ReadAsync(context.Request, _factory.Options.MaxRequestBodyBytes, context.RequestAborted).ConfigureAwait(false);
            }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                body = null;
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or BadHttpRequestException)
            {
                return; // the client went away mid-upload: nothing was routed, nothing to bill
            }

            if (body is null)
            {
                await RejectAsync(context, Rejection(StatusCodes.Status413PayloadTooLarge, "request_too_large"), "invalid_request_error",
                    $"The request body is larger than the relay's limit of {_factory.Options.MaxRequestBodyBytes} bytes.").ConfigureAwait(false);
                return;
            }

            body = RequestDecoding.Decode(body, context.Request.Headers.ContentEncoding, _factory.Options.MaxRequestBodyBytes, out RequestDecodeFailure undecoded, out string? coding);
            if (undecoded != RequestDecodeFailure.None)
            {
                await RefuseUndecodedAsync(context, undecoded, coding!, Rejection).ConfigureAwait(false);
                return;
            }

            RequestBodyInfo info;
            try
            {
                info = RequestBodyReader.Read(body);
            }
            catch (RequestBodyException ex)
            {
                await RejectAsync(context, Rejection(StatusCodes.Status400BadRequest, "invalid_request_body"), "invalid_request_error", ex.Message).ConfigureAwait(false);
                return;
            }

            RequestBodyInfo bodyInfo = info;
            if (api == ApiKind.GeminiGenerateContent)
            {
                // Gemini names the model and the streaming in the path, not the body.
                if (!GeminiPaths.TryParse(context.Request.Path.Value, out string pathModel, out bool streaming))
                {
                    await RejectAsync(context, Rejection(StatusCodes.Status404NotFound, "unsupported_method"), "not_found_error",
                        $"The relay serves {GeminiPaths.Prefix}{{model}}:{GeminiPaths.Method} and :{GeminiPaths.StreamMethod}; {context.Request.Path} is neither.").ConfigureAwait(false);
                    return;
                }

                info = info with { Model = pathModel, Stream = streaming };
                if (streaming && !GeminiPaths.AsksForSse(context.Request.QueryString.Value))
                {
                    await RejectAsync(context, Rejection(StatusCodes.Status400BadRequest, "sse_required", info), "invalid_request_error",
                        $"The relay streams Gemini responses as Server-Sent Events: call :{GeminiPaths.StreamMethod}?alt=sse.").ConfigureAwait(false);
                    return;
                }
            }

            if (api is ApiKind.BedrockConverse or ApiKind.BedrockInvoke)
            {
                // Bedrock names the model and the operation in the path; the body is the model's or Converse's, without either.
                if (!BedrockPaths.TryParse(context.Request.Path.Value, out string pathModel, out ApiKind pathApi, out bool streaming) || pathApi != api)
                {
                    await RejectAsync(context, Rejection(StatusCodes.Status404NotFound, "unsupported_method"), "not_found_error",
                        $"The relay serves {BedrockPaths.Prefix}{{modelId}}/{BedrockPaths.Converse}, /{BedrockPaths.ConverseStream}, /{BedrockPaths.Invoke} and /{BedrockPaths.InvokeStream}; {context.Request.Path} is none of them.").ConfigureAwait(false);
                    return;
                }

                info = info with { Model = pathModel, Stream = streaming };
            }

            bool modelFromPath = false;
            if (api == ApiKind.ChatCompletions && context.Request.Path.StartsWithSegments(AzurePaths.DeploymentsPrefix.TrimEnd('/'), StringComparison.Ordinal))
            {
                // An Azure OpenAI client: the deployment in the URL is the model (routed as any other, prefix and all).
                if (!AzurePaths.TryParseDeployment(context.Request.Path.Value, out string deployment))
                {
                    await RejectAsync(context, Rejection(StatusCodes.Status404NotFound, "unsupported_method"), "not_found_error",
                        $"The relay serves {AzurePaths.DeploymentsPrefix}{{deployment}}{AzurePaths.ChatSuffix} of Azure's deployment URLs; {context.Request.Path} is not it.").ConfigureAwait(false);
                    return;
                }

                info = info with { Model = deployment };
                modelFromPath = true;
            }

            // 2. Route, build the run, apply the request stages.
            if (!_router.TryResolve(info.Model, out ProviderRoute route, out string routeError))
            {
                await RejectAsync(context, Rejection(StatusCodes.Status400BadRequest, "model_not_found", info), "invalid_request_error", routeError).ConfigureAwait(false);
                return;
            }

            if (ProviderApis.Refusal(route.Provider, api) is string unsupported)
            {
                await RejectAsync(context, Rejection(StatusCodes.Status400BadRequest, "unsupported_provider", info, route), "invalid_request_error", unsupported).ConfigureAwait(false);
                return;
            }

            if (route.Provider.IsMissingKey)
            {
                string message = $"Provider '{route.Provider.Name}' has no API key: set {route.Provider.MissingKeyHint} for the relay.";
                await RejectAsync(context, Rejection(StatusCodes.Status500InternalServerError, "provider_key_missing", info, route), "server_error", message).ConfigureAwait(false);
                return;
            }

            if (SocketPools is { Directory: { } directory, Options.Affinity: true } && api == ApiKind.Responses && info.Stream && info.PreviousResponseId is { } previous
                && route.Provider.Transport == UpstreamTransport.WebSocket && !context.Request.Headers.ContainsKey(AffinityHeaders.Forwarded)
                && await directory.TryForwardAsync(context, previous, body, context.RequestAborted).ConfigureAwait(false))
            {
                return; // served by the relay node whose pool holds the socket of the response it continues; that node bills it
            }

            if (_factory.Admission is { } admission
                && await admission.AdmitAsync(new AdmissionRequest(keyId, api, route, info.Model!), context.RequestAborted).ConfigureAwait(false) is { } refusal)
            {
                // A budget or rate limit of the key (or a model it may not use): nothing goes upstream.
                if (refusal.RetryAfter is TimeSpan retryAfter)
                {
                    context.Response.Headers.RetryAfter = ErrorResponses.RetryAfterSeconds(retryAfter);
                }

                await RejectAsync(context, Rejection(refusal.Status, refusal.Code, info, route), refusal.Type, refusal.Message).ConfigureAwait(false);
                return;
            }

            var exchange = new ProxyExchange(requestId, api, route, body, info.Stream, startedAt) { KeyId = keyId, ModelFromPath = modelFromPath };
            exchange.KnowRequestBody(bodyInfo); // the body as read (for Gemini without the path's model)
            // The connection's scope and supervisor, which bills the exchange; a request served without the
            // connection middleware gets a scope of its own, closed once the exchange's end was reported.
            ConnectionScope? shared = ConnectionScopeOf(context);
            exchange.Connection = shared ?? new ConnectionScope();
            exchange.Connection.EnterExchange();
            try
            {
                await RelayExchangeAsync(context, exchange, info).ConfigureAwait(false);
            }
            finally
            {
                if (shared is null)
                {
                    exchange.Connection.Dispose(); // after the end's message: the supervisor bills, then stops
                }
                else
                {
                    shared.ExitExchange(); // closes the scope if the connection closed meanwhile
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref _openExchanges);
        }
    }

    /// <summary>2–6 for an admitted request, on the connection's graph: the request side, the upstream call, the response side, the end told to the supervisor (one method: each async layer is a state machine on the heap per request).</summary>
    private async Task RelayExchangeAsync(HttpContext context, ProxyExchange exchange, RequestBodyInfo info)
    {
        string requestId = exchange.RequestId;
        ApiKind api = exchange.Api;
        ProviderRoute route = exchange.Route;
        ProxyRun run = _factory.CreateRun(exchange);
        ConnectionScope scope = exchange.Connection!;
        IActorRef supervisor = scope.Supervisor(_newSupervisor);
        ConnectionGraph graph;
        try
        {
            graph = scope.Rent(_graphs, out bool isNew);
            if (isNew)
            {
                graph.Owner = supervisor; // told if the graph fails while this connection has it
            }
        }
        catch (InvalidOperationException)
        {
            // A graph of this connection failed and its supervisor stopped the connection: nothing more
            // goes upstream on it, and it is closed after this answer.
            context.Response.Headers.Connection = "close";
            await WriteErrorAsync(context, api, StatusCodes.Status500InternalServerError, "server_error", "relay_internal_error",
                $"The relay failed while handling the request (request id {requestId}).").ConfigureAwait(false);
            await BillAsync(run, new ExchangeVerdict(ExchangeOutcome.Failed, EndedBy.Relay, StatusCodes.Status500InternalServerError, "relay_internal_error")).ConfigureAwait(false);
            return;
        }

        try
        {
            try
            {
                // The request side of the graph: model rewrite, include-usage, the custom request hooks and flows.
                await graph.PrepareAsync(run).ConfigureAwait(false);
            }
            catch (RequestBodyException ex)
            {
                // A stage found the body unusable: the client's to fix, refused like any bad body.
                LogCompletionFailure(run.Complete(), requestId);
                var rejection = new RejectedRequest
                {
                    RequestId = requestId, Api = api, KeyId = exchange.KeyId, StartedAt = exchange.StartedAt, HttpStatus = StatusCodes.Status400BadRequest,
                    ErrorCode = "invalid_request_body", RequestedModel = info.Model, Streaming = info.Stream, Route = route,
                };
                await RejectAsync(context, rejection, "invalid_request_error", ex.Message).ConfigureAwait(false);
                return;
            }
            catch (Exception ex)
            {
                // A stage's bug: nothing went upstream and no response has started, so the client gets a
                // clear 500 with the request id; the details go to the log.
                _logger.LogError(ex, "A stage's OnRequest failed for {RequestId}; the request was not sent.", requestId);
                LogCompletionFailure(run.Complete(), requestId);
                await WriteErrorAsync(context, api, StatusCodes.Status500InternalServerError, "server_error", "relay_stage_failed",
                    $"The relay failed to prepare the request (request id {requestId}).").ConfigureAwait(false);
                await BillAsync(run, new ExchangeVerdict(ExchangeOutcome.Failed, EndedBy.Relay, StatusCodes.Status500InternalServerError, "relay_stage_failed")).ConfigureAwait(false);
                return;
            }

            // The span starts once the request is ready to go upstream, and ends when it is billed.
            ExchangeTracing.Attach(exchange, ExchangeTracing.StartHttp(route, context.Request.Headers, api));
            supervisor.Tell(new ConnectionSupervisor.ExchangeOpened(run));
            ExchangeVerdict outcome;
            try
            {
                outcome = await RelayAsync(context, run, graph).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "Relay of {RequestId} failed unexpectedly.", requestId);
                if (context.Response.HasStarted)
                {
                    context.Abort(); // a response half-sent cannot be turned into an error: cut it
                }
                else
                {
                    context.Response.Headers.Clear();
                    context.Response.Headers[RequestIdHeader] = requestId;
                    // The connection's graph may have failed with it: a failed connection is never resumed.
                    context.Response.Headers.Connection = "close";
                    await WriteErrorAsync(context, api, StatusCodes.Status500InternalServerError, "server_error", "relay_internal_error",
                        $"The relay failed while handling the request (request id {requestId}).").ConfigureAwait(false);
                }

                outcome = new ExchangeVerdict(ExchangeOutcome.Failed, EndedBy.Relay, StatusCodes.Status500InternalServerError, "relay_internal_error");
            }

            // 6. Complete the run, end the response, then bill exactly once.
            LogCompletionFailure(run.Complete(), requestId);

            if (outcome.Outcome != ExchangeOutcome.ClientAborted && !context.RequestAborted.IsCancellationRequested)
            {
                try
                {
                    await context.Response.CompleteAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
                {
                    // The client went away while the response was being finished; the record below still goes out.
                }
            }

            await BillAsync(run, outcome).ConfigureAwait(false);
        }
        finally
        {
            scope.Return(graph); // the graph is done with this exchange's request, reader and writer
        }
    }

    /// <summary>
    /// 6. Tells the connection's supervisor how the exchange ended; it makes the record (one writer per
    /// connection). Room in billing is reserved first, so with every credit taken the handler waits here,
    /// as before, and the supervisor never does.
    /// </summary>
    private async ValueTask BillAsync(ProxyRun run, ExchangeVerdict verdict)
    {
        await _outlet.ReserveAsync().ConfigureAwait(false);
        IActorRef supervisor = run.Exchange.Connection!.Supervisor(_newSupervisor);
        Connections.EndTold();
        supervisor.Tell(new ConnectionSupervisor.ExchangeEnded(run, verdict, HoldsCredit: true));
    }

    /// <summary>Refuses a body whose <c>Content-Encoding</c> could not be undone: 415 for a coding the relay does not know (with the ones it does), 400 for corrupt data, 413 past the limit once decoded.</summary>
    private Task RefuseUndecodedAsync(HttpContext context, RequestDecodeFailure failure, string coding, Func<int, string, RequestBodyInfo, ProviderRoute?, RejectedRequest> rejection)
    {
        switch (failure)
        {
            case RequestDecodeFailure.Unsupported:
                context.Response.Headers.AcceptEncoding = RequestDecoding.Supported;
                return RejectAsync(context, rejection(StatusCodes.Status415UnsupportedMediaType, "unsupported_content_encoding", default, null), "invalid_request_error",
                    $"The request body's Content-Encoding '{coding}' is not one the relay decodes; send it as {RequestDecoding.Supported}, or uncompressed.");
            case RequestDecodeFailure.TooLarge:
                return RejectAsync(context, rejection(StatusCodes.Status413PayloadTooLarge, "request_too_large", default, null), "invalid_request_error",
                    $"The request body, decoded from {coding}, is larger than the relay's limit of {_factory.Options.MaxRequestBodyBytes} bytes.");
            default:
                return RejectAsync(context, rejection(StatusCodes.Status400BadRequest, "invalid_request_body", default, null), "invalid_request_error",
                    $"The request body is not valid {coding} data, as its Content-Encoding says it is.");
        }
    }

    /// <summary>Refuses an authenticated request before anything went upstream: the error in the API's shape, then its record (outcome rejected, cost 0).</summary>
    private async Task RejectAsync(HttpContext context, RejectedRequest rejection, string type, string message)
    {
        await WriteErrorAsync(context, rejection.Api, rejection.HttpStatus, type, rejection.ErrorCode, message).ConfigureAwait(false);
        await HandOver(BillingRecordFactory.Rejected(rejection, _time.GetUtcNow())).ConfigureAwait(false);
    }

    /// <summary>A refused request's record (no exchange, nothing to decide) goes to billing here: the admission counts it first (see <see cref="IRequestAdmission.Billed"/>).</summary>
    private ValueTask HandOver(BillingRecord record) => _outlet.HandOverAsync(record);

    private async Task<ExchangeVerdict> RelayAsync(HttpContext context, ProxyRun run, ConnectionGraph graph)
    {
        ProxyExchange exchange = run.Exchange;

        if (!graph.IsRunning || exchange.Connection?.IsClosed == true)
        {
            // A graph of this connection failed and its supervisor stopped it: nothing more goes upstream.
            throw new InvalidOperationException("The connection has stopped and takes no more exchanges.");
        }

        // 3. Send. Until the headers arrive, the activity timeout is the response timeout.
        using var activity = new ActivityTimeout(_factory.Options.UpstreamResponseTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, activity.Token, _shutdown);
        if (SocketPools is not null && exchange.Provider.Transport == UpstreamTransport.WebSocket && exchange.Api == ApiKind.Responses && exchange.IsStreaming)
        {
            // 3'. Over a pooled upstream socket; back to HTTP below when none could carry it before any event.
            (SocketTurn? turn, string? failure) socket;
            try
            {
                socket = await SocketTurn.StartAsync(SocketPools, exchange.Provider, exchange.RequestBody, linked.Token, _shutdown).ConfigureAwait(false);
            }
            catch (OperationCanceledException ex)
            {
                return await ConnectFailedAsync(context, exchange, activity, ex).ConfigureAwait(false);
            }

            if (socket.turn is SocketTurn { FirstError: byte[] refused } refusedTurn)
            {
                // The provider refused the turn outright: the client gets what an HTTP upstream would send.
                await refusedTurn.Reader.CompleteAsync().ConfigureAwait(false);
                (int refusal, byte[] json) = SocketTurn.AsHttpError(refused);
                await ErrorResponses.WriteAsync(context.Response, refusal, "", json, context.RequestAborted).ConfigureAwait(false);
                return new ExchangeVerdict(ExchangeOutcome.UpstreamError, EndedBy.Upstream, refusal, $"upstream_http_{refusal}");
            }

            if (socket.turn is SocketTurn turn)
            {
                context.Response.StatusCode = StatusCodes.Status200OK;
                context.Response.ContentType = "text/event-stream";
                context.Response.Headers.CacheControl = "no-cache";
                context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
                activity.Reset(_factory.Options.IdleTimeout);
                try
                {
                    return await PumpAsync(context, run, graph, turn.Reader, FrameKind.SseEvent, StatusCodes.Status200OK, activity, linked.Token).ConfigureAwait(false);
                }
                finally
                {
                    // Ended before its terminal event (the client left, a stage failed): drained within the drain timeout, not the read timeout.
                    turn.Abandon();
                }
            }

            SocketPools.Counters.FellBack();
            _logger.LogWarning("Exchange {RequestId}: no socket to provider {Provider} could carry the request ({Reason}); it goes over HTTP.", exchange.RequestId, exchange.Provider.Name, socket.failure);
        }

        using HttpRequestMessage request = BuildUpstreamRequest(context, exchange);
        HttpResponseMessage response;
        try
        {
            response = await _upstream.SendAsync(request, linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException)
        {
            return await ConnectFailedAsync(context, exchange, activity, ex).ConfigureAwait(false);
        }

        using (response)
        {
            int status = (int)response.StatusCode;
            context.Response.StatusCode = status;
            if (!response.IsSuccessStatusCode)
            {
                HeaderPolicy.CopyResponseHeaders(response, context.Response, bodyChanged: false);
                return await RelayErrorStatusAsync(context, response, linked.Token).ConfigureAwait(false);
            }

            // 4. Pump the body. From here the activity timeout is the idle timeout.
            activity.Reset(_factory.Options.IdleTimeout);
            Stream upstreamBody = await response.Content.ReadAsStreamAsync(linked.Token).ConfigureAwait(false);
            upstreamBody = ContentDecoding.Decode(upstreamBody, response.Content.Headers, out ContentCoding coding);
            // An event stream in a coding the relay cannot read is relayed as opaque bytes, not parsed.
            FrameKind framing = coding == ContentCoding.Unknown ? FrameKind.BodyChunk : FramingOf(response.Content.Headers.ContentType?.MediaType);
            bool isEventStream = framing != FrameKind.BodyChunk;
            if (exchange.Api == ApiKind.BedrockInvoke && !isEventStream)
            {
                // InvokeModel's body is the model's own JSON; Bedrock reports its tokens in headers.
                BedrockUsage.FromHeaders(response.Headers, exchange.Accumulator);
            }

            // The upstream's length holds only for the upstream's bytes: a decoded body, an event stream
            // (stages may drop events) or a body a custom stage may rewrite is sent chunked instead.
            bool bodyMayChange = coding == ContentCoding.Decoded || isEventStream || _factory.MayChangeResponseBodies;
            HeaderPolicy.CopyResponseHeaders(response, context.Response, bodyChanged: bodyMayChange);
            if (isEventStream)
            {
                context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            }

            PipeReader reader = PipeReader.Create(upstreamBody, new StreamPipeReaderOptions(bufferSize: _factory.Options.ReadBufferBytes, leaveOpen: false));
            return await PumpAsync(context, run, graph, reader, framing, status, activity, linked.Token).ConfigureAwait(false);
        }
    }

    /// <summary>How a response body of <paramref name="mediaType"/> is framed: SSE, AWS's event stream, or opaque chunks.</summary>
    private static FrameKind FramingOf(string? mediaType) =>
        string.Equals(mediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase) ? FrameKind.SseEvent
        : string.Equals(mediaType, BedrockPaths.EventStreamMediaType, StringComparison.OrdinalIgnoreCase) ? FrameKind.EventStreamMessage
        : FrameKind.BodyChunk;

    /// <summary>4–5. Pumps an upstream body (an HTTP body, or a socket turn's SSE) through the connection's graph, then completes the reader.</summary>
    private async Task<ExchangeVerdict> PumpAsync(HttpContext context, ProxyRun run, ConnectionGraph graph, PipeReader reader, FrameKind framing, int status, ActivityTimeout activity, CancellationToken cancellationToken)
    {
        bool isEventStream = framing != FrameKind.BodyChunk;
        try
        {
            // Inside the try: a graph stopped meanwhile (PumpAsync throws) still completes the reader, so a
            // socket turn's pump is never left writing into a pipe nobody reads.
            PumpResult result = await graph.PumpAsync(run, reader, context.Response.BodyWriter, framing, activity, _time, cancellationToken).ConfigureAwait(false);
            return await PumpEndedAsync(context, run, result, isEventStream, status).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException or InvalidDataException)
        {
            // 5. One side failed: work out which, and tell the client in its protocol's shape.
            return await BodyFailedAsync(context, run, activity, isEventStream, status, ex).ConfigureAwait(false);
        }
        finally
        {
            // The graph is done with the reader and the writer once its exchange ended.
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The connection's scope: the one the connection middleware gave it (<see cref="ConnectionScopeMiddleware"/>),
    /// or, on a server that tells when a connection closes (Kestrel), one made at the connection's first
    /// relayed request, kept in its items and closed with it. Null on a server without connections to
    /// tell (TestServer, say): the exchange gets a scope of its own.
    /// </summary>
    private static ConnectionScope? ConnectionScopeOf(HttpContext context)
    {
        if (context.Features.Get<IConnectionItemsFeature>()?.Items is not { } items)
        {
            return null;
        }

        lock (items) // an HTTP/2 connection's streams run at once
        {
            if (items.TryGetValue(ConnectionScope.Key, out object? found))
            {
                return found as ConnectionScope;
            }

            if (context.Features.Get<IConnectionLifetimeFeature>() is not { } lifetime || !lifetime.ConnectionClosed.CanBeCanceled)
            {
                return null;
            }

            var scope = new ConnectionScope();
            items[ConnectionScope.Key] = scope;
            // Already closed: the scope closes here and the exchange is refused as a stopped connection's.
            lifetime.ConnectionClosed.Register(static state => ((ConnectionScope)state!).CloseWhenIdle(), scope);
            return scope;
        }
    }

    private void LogCompletionFailure(AggregateException? failure, string requestId)
    {
        if (failure is not null)
        {
            _logger.LogError(failure, "A stage's completion hook failed for {RequestId}; the response and its billing record are unaffected.", requestId);
        }
    }

    private HttpRequestMessage BuildUpstreamRequest(HttpContext context, ProxyExchange exchange)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, UpstreamUris.For(exchange.Provider, exchange.Api, exchange.Route.UpstreamModel, context.Request.QueryString.Value, exchange.IsStreaming, context.Request.Path.Value))
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            Content = new ReadOnlyMemoryContent(exchange.RequestBody),
        };
        HeaderPolicy.CopyRequestHeaders(context.Request.Headers, request);
        request.Content.Headers.ContentType = MediaTypeHeaderValue.TryParse(context.Request.ContentType, out MediaTypeHeaderValue? type)
            ? type
            : new MediaTypeHeaderValue("application/json");
        request.Headers.AcceptEncoding.Clear();
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("identity"));
        ProviderCredentials.Apply(exchange.Provider, request.Headers);
        TracePropagation.Inject(exchange.Activity, request.Headers);
        BedrockSigning.Sign(request, exchange.Provider, exchange.RequestBody, _time.GetUtcNow()); // last: it signs the headers as sent
        return request;
    }

    private async Task<ExchangeVerdict> ConnectFailedAsync(HttpContext context, ProxyExchange exchange, ActivityTimeout activity, Exception ex)
    {
        if (context.RequestAborted.IsCancellationRequested)
        {
            return new ExchangeVerdict(ExchangeOutcome.ClientAborted, EndedBy.Client, 499, "client_closed_request");
        }

        ApiKind api = exchange.Api;
        if (_shutdown.IsCancellationRequested)
        {
            await WriteErrorAsync(context, api, StatusCodes.Status503ServiceUnavailable, "server_error", "relay_shutting_down", "The relay is shutting down; retry the request.").ConfigureAwait(false);
            return new ExchangeVerdict(ExchangeOutcome.UpstreamError, EndedBy.Shutdown, StatusCodes.Status503ServiceUnavailable, "relay_shutting_down");
        }

        if (activity.HasExpired)
        {
            string timeout = $"Provider '{exchange.Provider.Name}' did not answer within {_factory.Options.UpstreamResponseTimeout.TotalSeconds:0.#} s.";
            await WriteErrorAsync(context, api, StatusCodes.Status504GatewayTimeout, "server_error", "upstream_timeout", timeout).ConfigureAwait(false);
            return new ExchangeVerdict(ExchangeOutcome.UpstreamError, EndedBy.IdleTimeout, StatusCodes.Status504GatewayTimeout, "upstream_timeout");
        }

        // The exception names the upstream's host and port: the log gets it, the client does not.
        _logger.LogWarning(ex, "Provider {Provider} unreachable for {RequestId}.", exchange.Provider.Name, exchange.RequestId);
        string message = $"Provider '{exchange.Provider.Name}' could not be reached (request id {exchange.RequestId}).";
        await WriteErrorAsync(context, api, StatusCodes.Status502BadGateway, "server_error", "upstream_unreachable", message).ConfigureAwait(false);
        return new ExchangeVerdict(ExchangeOutcome.UpstreamError, EndedBy.Upstream, StatusCodes.Status502BadGateway, "upstream_unreachable");
    }

    private static async Task<ExchangeVerdict> RelayErrorStatusAsync(HttpContext context, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        int status = (int)response.StatusCode;
        try
        {
            await response.Content.CopyToAsync(context.Response.Body, cancellationToken).ConfigureAwait(false);
            return new ExchangeVerdict(ExchangeOutcome.UpstreamError, EndedBy.Upstream, status, $"upstream_http_{status}");
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException)
        {
            return context.RequestAborted.IsCancellationRequested
                ? new ExchangeVerdict(ExchangeOutcome.ClientAborted, EndedBy.Client, status, "client_closed_request")
                : new ExchangeVerdict(ExchangeOutcome.UpstreamError, EndedBy.Upstream, status, $"upstream_http_{status}");
        }
    }

    private async Task<ExchangeVerdict> PumpEndedAsync(HttpContext context, ProxyRun run, PumpResult result, bool isEventStream, int status)
    {
        ProxyExchange exchange = run.Exchange;
        switch (result)
        {
            case PumpResult.ClientGone:
                return new ExchangeVerdict(ExchangeOutcome.ClientAborted, EndedBy.Client, status, "client_closed_request");
            case PumpResult.FrameTooLarge:
                string tooLarge = $"The upstream sent an event larger than the relay's limit of {_factory.Options.MaxEventBytes} bytes.";
                await FailStreamAsync(context, exchange, isEventStream, "event_too_large", tooLarge).ConfigureAwait(false);
                return new ExchangeVerdict(ExchangeOutcome.Failed, EndedBy.Relay, status, "event_too_large");
            case PumpResult.UpstreamCorrupt when exchange.StreamError == EventStreamError.Truncated:
                // Cut inside a message: as any stream that ends before it finished.
                const string cut = "The upstream closed the stream inside a message, before it finished.";
                await FailStreamAsync(context, exchange, isEventStream, "upstream_truncated", cut).ConfigureAwait(false);
                return new ExchangeVerdict(ExchangeOutcome.Failed, EndedBy.Upstream, status, "upstream_truncated");
            case PumpResult.UpstreamCorrupt:
                string corrupt = $"The upstream's event stream is corrupt ({AwsEventStreamEncoder.Describe(exchange.StreamError)}); the messages before it were relayed.";
                _logger.LogWarning("Exchange {RequestId}: provider {Provider} sent a corrupt event stream ({Error}).", exchange.RequestId, exchange.Provider.Name, exchange.StreamError);
                await FailStreamAsync(context, exchange, isEventStream, "upstream_stream_corrupt", corrupt).ConfigureAwait(false);
                return new ExchangeVerdict(ExchangeOutcome.Failed, EndedBy.Upstream, status, "upstream_stream_corrupt");
        }

        // The upstream ended its body. A stream must have said it finished; a body must be whole JSON.
        LogCompletionFailure(run.Complete(), exchange.RequestId);
        TerminalKind terminal = exchange.Terminal;
        if (terminal == TerminalKind.None && exchange.Accumulator.FinishedImplicitly)
        {
            terminal = TerminalKind.Completed;
        }

        switch (terminal)
        {
            case TerminalKind.Completed:
                return new ExchangeVerdict(ExchangeOutcome.Completed, EndedBy.Upstream, status, null);
            case TerminalKind.Incomplete:
                return new ExchangeVerdict(ExchangeOutcome.Incomplete, EndedBy.Upstream, status, "response_incomplete");
            case TerminalKind.Failed:
                return new ExchangeVerdict(ExchangeOutcome.Failed, EndedBy.Upstream, status, "upstream_reported_error");
        }

        if (isEventStream)
        {
            const string truncated = "The upstream closed the stream before it finished.";
            await FailStreamAsync(context, exchange, isEventStream, "upstream_truncated", truncated).ConfigureAwait(false);
            return new ExchangeVerdict(ExchangeOutcome.Failed, EndedBy.Upstream, status, "upstream_truncated");
        }

        if (exchange.BodyScan?.Result == BodyScanResult.Truncated)
        {
            // The connection ended cleanly but the JSON did not: the client got a cut body.
            return new ExchangeVerdict(ExchangeOutcome.Failed, EndedBy.Upstream, status, "upstream_truncated");
        }

        // A body that is not JSON at all: relayed unchanged; usage is unknown.
        return new ExchangeVerdict(ExchangeOutcome.Completed, EndedBy.Upstream, status, null);
    }

    private async Task<ExchangeVerdict> BodyFailedAsync(HttpContext context, ProxyRun run, ActivityTimeout activity, bool isEventStream, int status, Exception ex)
    {
        ProxyExchange exchange = run.Exchange;
        // The stalled client first: cancelling the flush it holds back makes Kestrel abort the connection,
        // which fires RequestAborted too, so a check of RequestAborted first would bill a client abort by chance.
        if (activity.HasExpired && run.WaitingForClient)
        {
            // The client stopped reading: nothing more can reach it, so its connection is closed.
            _logger.LogWarning("Exchange {RequestId}: the client read nothing for {Seconds} s.", exchange.RequestId, _factory.Options.IdleTimeout.TotalSeconds);
            context.Abort();
            return new ExchangeVerdict(ExchangeOutcome.ClientAborted, EndedBy.IdleTimeout, status, "client_idle_timeout");
        }

        if (context.RequestAborted.IsCancellationRequested && !(_shutdown.IsCancellationRequested && run.WaitingForClient))
        {
            return new ExchangeVerdict(ExchangeOutcome.ClientAborted, EndedBy.Client, status, "client_closed_request");
        }

        (EndedBy endedBy, string code, string message) = _shutdown.IsCancellationRequested
            ? (EndedBy.Shutdown, "relay_shutting_down", "The relay is shutting down.")
            : activity.HasExpired
                ? (EndedBy.IdleTimeout, "idle_timeout", $"Nothing was received from provider '{exchange.Provider.Name}' for {_factory.Options.IdleTimeout.TotalSeconds:0.#} s.")
                : (EndedBy.Upstream, "upstream_reset", $"The connection to provider '{exchange.Provider.Name}' failed mid-response (request id {exchange.RequestId}).");
        _logger.LogWarning(ex, "Exchange {RequestId} ended mid-response: {Code}.", exchange.RequestId, code);
        await FailStreamAsync(context, exchange, isEventStream, code, message).ConfigureAwait(false);
        return new ExchangeVerdict(ExchangeOutcome.Failed, endedBy, status, code);
    }

    /// <summary>Ends a failed response: a terminal error event for streams; an aborted connection for bodies (a truncated JSON body must not look whole).</summary>
    private static async Task FailStreamAsync(HttpContext context, ProxyExchange exchange, bool isEventStream, string code, string message)
    {
        if (!isEventStream)
        {
            context.Abort();
            return;
        }

        try
        {
            byte[] frame = ErrorBodies.StreamEvent(exchange.Api, code, message, exchange.Accumulator.LastSequenceNumber);
            await context.Response.BodyWriter.WriteAsync(frame, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
        {
            // The client is gone too; nothing more to tell it.
        }
    }

    private static async Task WriteErrorAsync(HttpContext context, ApiKind api, int status, string type, string code, string message)
    {
        if (context.Response.HasStarted || context.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        try
        {
            await ErrorResponses.WriteAsync(context.Response, status, code, ErrorBodies.Json(api, type, code, message, status), context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            // The client left before reading the error.
        }
    }
}
