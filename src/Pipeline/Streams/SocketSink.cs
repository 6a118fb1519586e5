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

    private sealed class Logic(SocketSink stage, ISocketSession session, TaskCompletionSource stopped)
        : SendingSinkLogic<SocketMessage>(stage.Shape, stage.In, stopped)
    {
        public override void OnPush()
        {
            SocketMessage message = Grab(stage.In);
            Send(session.UpstreamSender(), message.Payload, message.Type);
        }

        protected override void OnSendFailed(Exception failure)
        {
            session.UpstreamSendFailed(failure);
            Finish(); // cancels upstream of it: the session decides what the other direction does
        }
    }
}
