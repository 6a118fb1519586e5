using Akka.Streams;
using Akka.Streams.Stage;

namespace AkkaProxy.Pipeline.Streams;

/// <summary>The request side's sink: a request that reaches it has passed every request stage, and goes upstream.</summary>
internal sealed class RequestSink : GraphStage<SinkShape<RequestBinding>>
{
    public RequestSink() => Shape = new SinkShape<RequestBinding>(In);

    public Inlet<RequestBinding> In { get; } = new("RequestSink.in");

    public override SinkShape<RequestBinding> Shape { get; }

    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("request-sink");

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    public override string ToString() => "RequestSink";

    private sealed class Logic : InGraphStageLogic
    {
        private readonly RequestSink _stage;

        protected override object LogSource => StageLogSource.For(_stage);

        public Logic(RequestSink stage) : base(stage.Shape.Inlets.Length, stage.Shape.Outlets.Length)
        {
            _stage = stage;
            SetHandler(stage.In, this);
        }

        public override void PreStart() => Pull(_stage.In);

        public override void OnPush()
        {
            Grab(_stage.In).Pass();
            Pull(_stage.In);
        }
    }
}
