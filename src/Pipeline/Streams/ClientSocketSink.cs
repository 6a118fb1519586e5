using System.Buffers;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using Akka.Streams;
using Akka.Streams.Stage;

namespace AkkaProxy.Pipeline.Streams;

/// <summary>
/// A session graph's sink towards the client: sends each turn's frame as one text message, asks for
/// the next only once the send is done (so a client that reads nothing stops the upstream reads),
/// and reports each turn's end (<see cref="ProxyFrameKind.End"/>) after everything before it was
/// sent, so a turn is billed once its terminal event has reached the client. Once a send fails the
/// client is gone: the rest is dropped, and every turn after ends as the client's. Once the session
/// is closing, frames are dropped too (the client gets its close), but ends are still reported.
/// Materializes a task that ends with it.
/// </summary>
internal sealed class ClientSocketSink : GraphStageWithMaterializedValue<SinkShape<ProxyFrame>, Task>
{
    public ClientSocketSink()
    {
        Shape = new SinkShape<ProxyFrame>(In);
    }

    public Inlet<ProxyFrame> In { get; } = new("ClientSocketSink.in");

    public override SinkShape<ProxyFrame> Shape { get; }

    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("client-socket-sink");

    public override ILogicAndMaterializedValue<Task> CreateLogicAndMaterializedValue(Attributes inheritedAttributes)
    {
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return new LogicAndMaterializedValue<Task>(new Logic(this, SocketSessionAttribute.Of(inheritedAttributes), stopped), stopped.Task);
    }

    public override string ToString() => "ClientSocketSink";

    private sealed class Logic : InGraphStageLogic
    {
        private readonly ClientSocketSink _stage;
        private readonly ISocketSession _session;
        private readonly TaskCompletionSource _stopped;
        private readonly Action _sent;
        private ValueTaskAwaiter _pending;
        private ExchangeBinding? _sending;
        private bool _clientGone;
        private bool _finishing;

        public Logic(ClientSocketSink stage, ISocketSession session, TaskCompletionSource stopped) : base(stage.Shape)
        {
            _stage = stage;
            _session = session;
            _stopped = stopped;
            _sent = GetAsyncCallback(OnSent);
            SetHandler(stage.In, this);
        }

        public override void PreStart() => Pull(_stage.In);

        public override void OnPush()
        {
            ProxyFrame element = Grab(_stage.In);
            ExchangeBinding binding = element.Binding;
            if (element.Kind == ProxyFrameKind.End)
            {
                _session.EndTurn(binding);
                Pull(_stage.In);
                return;
            }

            if (element.Kind != ProxyFrameKind.Frame)
            {
                Pull(_stage.In);
                return;
            }

            if (_clientGone)
            {
                binding.EndByClient(PumpResult.ClientGone);
                Pull(_stage.In);
                return;
            }

            if (_session.IsClosing())
            {
                // The session is closing: the client gets its close, not more events. What the upstream
                // still sends is read and accounted, so a turn it finishes is billed with its usage.
                Pull(_stage.In);
                return;
            }

            ReadOnlySequence<byte> raw = element.Frame.Raw;
            ReadOnlyMemory<byte> payload = raw.IsSingleSegment ? raw.First : raw.ToArray();
            _sending = binding;
            try
            {
                _pending = _session.ToClient.SendAsync(payload, WebSocketMessageType.Text).GetAwaiter();
            }
            catch (Exception ex)
            {
                OnSendFailed(ex);
                return;
            }

            if (_pending.IsCompleted)
            {
                OnSent();
            }
            else
            {
                _pending.UnsafeOnCompleted(_sent);
            }
        }

        public override void OnUpstreamFinish()
        {
            if (_sending is not null)
            {
                // The sink (and the graph) stops once the send in flight is over; with its only port
                // closed, the stage would otherwise be stopped at once.
                _finishing = true;
                SetKeepGoing(true);
                return;
            }

            CompleteStage();
        }

        public override void OnUpstreamFailure(Exception e)
        {
            _stopped.TrySetException(e);
            FailStage(e);
        }

        public override void PostStop() => _stopped.TrySetResult();

        private void OnSent()
        {
            try
            {
                _pending.GetResult();
            }
            catch (Exception ex)
            {
                OnSendFailed(ex);
                return;
            }

            _sending = null;
            PullOrFinish();
        }

        private void PullOrFinish()
        {
            if (_finishing)
            {
                CompleteStage();
                return;
            }

            Pull(_stage.In);
        }

        private void OnSendFailed(Exception failure)
        {
            _clientGone = true;
            _sending?.EndByClient(failure);
            _sending = null;
            _session.ClientSendFailed(failure);
            PullOrFinish();
        }
    }
}
