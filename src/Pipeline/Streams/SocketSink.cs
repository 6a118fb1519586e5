using System.Runtime.CompilerServices;
using Akka.Streams;
using Akka.Streams.Stage;

namespace AkkaProxy.Pipeline.Streams;

/// <summary>
/// A session graph's sink towards the upstream: sends each message whole and asks for the next only
/// once the send is done, so a peer that stops reading stops the reads on the other side. The socket
/// comes from the session at each send (<see cref="ISocketSession.UpstreamSender"/>): it exists only
/// once dialled, and nothing is sent before. A failed send is reported once, and the sink stops.
/// Materializes a task that ends with it.
/// </summary>
internal sealed class SocketSink : GraphStageWithMaterializedValue<SinkShape<SocketMessage>, Task>
{
    private readonly string _name;

    public SocketSink(string name)
    {
        _name = name;
        In = new Inlet<SocketMessage>(name + ".in");
        Shape = new SinkShape<SocketMessage>(In);
    }

    public Inlet<SocketMessage> In { get; }

    public override SinkShape<SocketMessage> Shape { get; }

    protected override Attributes InitialAttributes => Attributes.CreateName(_name);

    public override ILogicAndMaterializedValue<Task> CreateLogicAndMaterializedValue(Attributes inheritedAttributes)
    {
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return new LogicAndMaterializedValue<Task>(new Logic(this, SocketSessionAttribute.Of(inheritedAttributes), stopped), stopped.Task);
    }

    public override string ToString() => _name;

    private sealed class Logic : InGraphStageLogic
    {
        private readonly SocketSink _stage;
        private readonly ISocketSession _session;
        private readonly TaskCompletionSource _stopped;
        private readonly Action _sent;
        private ValueTaskAwaiter _pending;
        private bool _sending;
        private bool _finishing;

        public Logic(SocketSink stage, ISocketSession session, TaskCompletionSource stopped) : base(stage.Shape)
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
            SocketMessage message = Grab(_stage.In);
            _sending = true;
            try
            {
                _pending = _session.UpstreamSender().SendAsync(message.Payload, message.Type).GetAwaiter();
            }
            catch (Exception ex)
            {
                _sending = false;
                Fail(ex);
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
            if (_sending)
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
            _sending = false;
            try
            {
                _pending.GetResult();
            }
            catch (Exception ex)
            {
                Fail(ex);
                return;
            }

            if (_finishing)
            {
                CompleteStage();
                return;
            }

            Pull(_stage.In);
        }

        private void Fail(Exception failure)
        {
            _session.UpstreamSendFailed(failure);
            CompleteStage(); // cancels upstream of it: the session decides what the other direction does
        }
    }
}
