using Akka.Streams;
using Akka.Streams.Stage;

namespace AkkaProxy.Pipeline.Streams;

/// <summary>
/// The request side's source: the request of whichever exchange is attached, pushed once when pulled.
/// Materializes its <see cref="Control"/>: the way to attach the next request, and to stop this side.
/// </summary>
/// <remarks>
/// The request side is one fused chain without buffers, so when this source is pulled again the request
/// it pushed has left the chain: the sink took it (and the request is done), a stage refused it (done,
/// failed), or a user's request flow dropped it, which this source reports as that request's failure.
/// </remarks>
internal sealed class RequestSource : GraphStageWithMaterializedValue<SourceShape<RequestBinding>, RequestSource.Control>
{
    public RequestSource() => Shape = new SourceShape<RequestBinding>(Out);

    public Outlet<RequestBinding> Out { get; } = new("RequestSource.out");

    public override SourceShape<RequestBinding> Shape { get; }

    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("request-source");

    public override ILogicAndMaterializedValue<Control> CreateLogicAndMaterializedValue(Attributes inheritedAttributes)
    {
        var logic = new Logic(this);
        return new LogicAndMaterializedValue<Control>(logic, logic.Control);
    }

    /// <summary>A materialized request source's control.</summary>
    internal sealed class Control(Action<RequestBinding> attach, Action shutdown)
    {
        /// <summary>Sends the next exchange's request through the request stages.</summary>
        public void Attach(RequestBinding binding) => attach(binding);

        /// <summary>Completes the request side.</summary>
        public void Shutdown() => shutdown();
    }

    public override string ToString() => "RequestSource";

    private sealed class Logic : OutGraphStageLogic
    {
        private readonly RequestSource _stage;
        private RequestBinding? _waiting;
        private RequestBinding? _inFlight;

        protected override object LogSource => StageLogSource.For(_stage);

        public Logic(RequestSource stage) : base(stage.Shape.Inlets.Length, stage.Shape.Outlets.Length)
        {
            _stage = stage;
            Control = new Control(GetAsyncCallback<RequestBinding>(OnAttach), GetAsyncCallback(CompleteStage));
            SetHandler(stage.Out, this);
        }

        public Control Control { get; }

        public override void OnPull()
        {
            if (_inFlight is { IsDone: false } dropped)
            {
                dropped.Fail(new InvalidOperationException(
                    "A request flow dropped the request; a request flow must pass every exchange on, one out per one in."));
            }

            _inFlight = null;
            TryPush();
        }

        public override void OnDownstreamFinish(Exception cause)
        {
            FailOpen(cause);
            base.OnDownstreamFinish(cause);
        }

        public override void PostStop() => FailOpen(new InvalidOperationException("The connection's graph stopped."));

        private void OnAttach(RequestBinding binding)
        {
            _waiting = binding;
            TryPush();
        }

        private void TryPush()
        {
            if (_waiting is { } next && IsAvailable(_stage.Out))
            {
                _waiting = null;
                _inFlight = next;
                Push(_stage.Out, next);
            }
        }

        private void FailOpen(Exception cause)
        {
            _waiting?.Fail(cause);
            _inFlight?.Fail(cause);
            _waiting = _inFlight = null;
        }
    }
}
