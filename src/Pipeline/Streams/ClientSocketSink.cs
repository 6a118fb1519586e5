using System.Buffers;
using System.Net.WebSockets;
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

    private sealed class Logic(ClientSocketSink stage, ISocketSession session, TaskCompletionSource stopped)
        : SendingSinkLogic<ProxyFrame>(stage.Shape, stage.In, stopped)
    {
        private ExchangeBinding? _sending;
        private bool _clientGone;

        public override void OnPush()
        {
            ProxyFrame element = Grab(stage.In);
            ExchangeBinding binding = element.Binding;
            if (element.Kind == ProxyFrameKind.End)
            {
                session.EndTurn(binding);
                PullOrFinish();
                return;
            }

            if (element.Kind != ProxyFrameKind.Frame)
            {
                PullOrFinish();
                return;
            }

            if (_clientGone)
            {
                binding.EndByClient(PumpResult.ClientGone);
                PullOrFinish();
                return;
            }

            if (session.IsClosing())
            {
                // The session is closing: the client gets its close, not more events. What the upstream
                // still sends is read and accounted, so a turn it finishes is billed with its usage.
                PullOrFinish();
                return;
            }

            ReadOnlySequence<byte> raw = element.Frame.Raw;
            _sending = binding;
            Send(session.ToClient, raw.IsSingleSegment ? raw.First : raw.ToArray(), WebSocketMessageType.Text);
        }

        protected override void OnSent()
        {
            _sending = null;
            PullOrFinish();
        }

        protected override void OnSendFailed(Exception failure)
        {
            _clientGone = true;
            _sending?.EndByClient(failure);
            _sending = null;
            session.ClientSendFailed(failure);
            PullOrFinish();
        }
    }
}
