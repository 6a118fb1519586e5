using System.Buffers;
using Akka.Streams;
using Akka.Streams.Stage;
using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Streams;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Supervision;

/// <summary>
/// The middle of a session's graph, both directions in one stage, so the session's turns are state
/// of one place:
/// <code>
///   client messages ──▶ [validate, route, dial once, request stages, open the turn on its lane] ──▶ upstream
///   to the stages   ◀── [lane → its head turn; after a terminal event, that turn's end]        ◀── upstream messages
/// </code>
/// Refusals and upstream messages of no turn go straight to the client (in order: this side is
/// pulled only once the client sink is done with the previous element). Each direction asks its
/// source for the next message only once the previous one was handled and sent: a side that takes
/// nothing stops the reads on the other.
/// </summary>
internal sealed class TurnStage : GraphStage<BidiShape<SocketMessage, SocketMessage, SocketMessage, ProxyFrame>>
{
    public TurnStage()
    {
        Shape = new BidiShape<SocketMessage, SocketMessage, SocketMessage, ProxyFrame>(FromClient, ToUpstream, FromUpstream, ToClient);
    }

    public Inlet<SocketMessage> FromClient { get; } = new("Turns.fromClient");

    public Outlet<SocketMessage> ToUpstream { get; } = new("Turns.toUpstream");

    public Inlet<SocketMessage> FromUpstream { get; } = new("Turns.fromUpstream");

    public Outlet<ProxyFrame> ToClient { get; } = new("Turns.toClient");

    public override BidiShape<SocketMessage, SocketMessage, SocketMessage, ProxyFrame> Shape { get; }

    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("turns");

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) =>
        new Logic(this, (WebSocketSession)SocketSessionAttribute.Of(inheritedAttributes));

    public override string ToString() => "Turns";

    /// <summary>A dial finished: its result, and the client message that asked for it (still the source's loan).</summary>
    private sealed record Dialled(Task<bool> Dial, ClientStep Step, ReadOnlyMemory<byte> Message);

    /// <summary>An admission the stage waited for answered; the client message that asked is still the source's loan.</summary>
    private sealed record Decided(ClientStep Step, ReadOnlyMemory<byte> Message);

    private sealed class Logic : GraphStageLogic
    {
        private static readonly object PassedOn = new(); // an upstream message was passed on to the client

        private readonly TurnStage _stage;
        private readonly WebSocketSession _session;
        private readonly SocketMessage _outbound = new();
        private readonly ProxyFrame _element = new();
        private readonly Action<object> _clientStepDone; // a refusal's send (a Task), a dial (a Dialled), an admission (a Decided) or a forward passed on (PassedOn); one callback for all
        private readonly Action<Task> _passedOn; // a forward's send finished: told through _clientStepDone (a plain delegate costs less than an async callback)
        private bool _clientBusy;   // a refusal is being sent or the upstream dialled: the next client message waits
        private bool _upstreamGone; // the upstream sink stopped: forwards are dropped
        private ExchangeBinding? _lastTurn;

        protected override object LogSource => StageLogSource.For(_stage);

        public Logic(TurnStage stage, WebSocketSession session) : base(stage.Shape.Inlets.Length, stage.Shape.Outlets.Length)
        {
            _stage = stage;
            _session = session;
            _clientStepDone = GetAsyncCallback<object>(done =>
            {
                if (ReferenceEquals(done, PassedOn))
                {
                    PullUpstream();
                    return;
                }

                if (done is Dialled dialled)
                {
                    OnDialled(dialled);
                    return;
                }

                if (done is Decided decided)
                {
                    _clientBusy = false;
                    Carry(_session.AfterAdmission(decided.Step.Admission!, decided.Step, decided.Message), decided.Message);
                    return;
                }

                _clientBusy = false;
                PullClient();
            });
            _passedOn = _ => _clientStepDone(PassedOn);
            SetHandler(stage.FromClient, onPush: OnClientMessage, onUpstreamFinish: () => Complete(stage.ToUpstream));
            SetHandler(stage.ToUpstream, onPull: () =>
            {
                _outbound.Set(default, default); // sent: an idle session keeps no request alive
                PullClient();
            }, onDownstreamFinish: _ =>
            {
                _upstreamGone = true; // the client side keeps reading, until its close
                PullClient();
            });
            SetHandler(stage.FromUpstream, onPush: OnUpstreamMessage, onUpstreamFinish: () => Complete(stage.ToClient));
            // The client sink never cancels: the stages between failed (a frame hook threw). The session's
            // graph is failed whole, so its supervisor stops it and the session closes with 1011.
            SetHandler(stage.ToClient, onPull: OnClientPull, onDownstreamFinish: cause =>
                FailStage(cause is SubscriptionWithCancelException.NonFailureCancellation
                    ? new InvalidOperationException("The client side of the session's graph stopped.")
                    : cause));
        }

        // Client → upstream.
        private void OnClientMessage()
        {
            SocketMessage message = Grab(_stage.FromClient);
            Carry(_session.Decide(message), message.Payload);
        }

        private void Carry(ClientStep step, ReadOnlyMemory<byte> message)
        {
            switch (step.Kind)
            {
                case ClientStepKind.Forward:
                    if (_upstreamGone)
                    {
                        PullClient();
                        return;
                    }

                    Push(_stage.ToUpstream, _outbound.Set(step.Type, step.Payload));
                    return;
                case ClientStepKind.Refuse:
                    _clientBusy = true;
                    _session.RefuseAsync(step).ContinueWith(_clientStepDone, TaskContinuationOptions.ExecuteSynchronously);
                    return;
                case ClientStepKind.Dial:
                    _clientBusy = true;
                    Task<bool> dial = _session.DialAsync(step.Route!, step.Info);
                    dial.ContinueWith(
                        (task, state) => ((Action<object>)state!)(new Dialled(task, step, message)),
                        _clientStepDone, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                    return;
                case ClientStepKind.Admit:
                    _clientBusy = true;
                    step.Admission!.ContinueWith(
                        (_, state) => ((Action<object>)state!)(new Decided(step, message)),
                        _clientStepDone, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                    return;
                default:
                    PullClient();
                    return;
            }
        }

        private void OnDialled(Dialled dialled)
        {
            _clientBusy = false;
            _session.ForgetDial(dialled.Dial);
            if (dialled.Dial.IsCompletedSuccessfully && dialled.Dial.Result)
            {
                // The client message is still the source's loan: the source is pulled only after this.
                Carry(_session.OpenTurn(dialled.Step.Route!, dialled.Message, dialled.Step.Info, dialled.Step.Model!), dialled.Message);
                return;
            }

            PullClient();
        }

        private void PullClient()
        {
            if (!_clientBusy && !HasBeenPulled(_stage.FromClient) && !IsClosed(_stage.FromClient)
                && (_upstreamGone || IsAvailable(_stage.ToUpstream)))
            {
                Pull(_stage.FromClient);
            }
        }

        // Upstream → client.
        private void OnUpstreamMessage()
        {
            SocketMessage message = Grab(_stage.FromUpstream);
            ExchangeBinding? turn = _session.HeadTurn(message);
            if (turn is null)
            {
                // Not part of a turn (a connection-level error, a binary frame): to the client as it came.
                _session.PassOnAsync(message).ContinueWith(_passedOn, TaskContinuationOptions.ExecuteSynchronously);
                return;
            }

            turn.Exchange.FirstByteAt ??= _session.Now;
            var bytes = new ReadOnlySequence<byte>(message.Payload);
            _lastTurn = turn;
            Push(_stage.ToClient, _element.AsFrame(turn, new ResponseFrame(FrameKind.WebSocketMessage, bytes, default, bytes, hasData: true)));
        }

        private void OnClientPull()
        {
            // The frame went through the stages (and reached the client, or was dropped): if it ended
            // its turn, the turn's end follows it, and the lane's next turn takes the lane's events.
            if (_lastTurn is { } turn)
            {
                _lastTurn = null;
                if (turn.Exchange.Terminal != TerminalKind.None)
                {
                    _session.CloseTurn(turn);
                    Push(_stage.ToClient, _element.AsEnd(turn, PumpResult.UpstreamEnded, null));
                    return;
                }
            }

            _element.Release(); // an idle session keeps no finished turn alive
            PullUpstream();
        }

        private void PullUpstream()
        {
            if (!HasBeenPulled(_stage.FromUpstream) && !IsClosed(_stage.FromUpstream) && IsAvailable(_stage.ToClient))
            {
                Pull(_stage.FromUpstream);
            }
        }
    }
}
