using Akka.Streams;
using Akka.Streams.Stage;
using AkkaProxy.Pipeline.Stages;

namespace AkkaProxy.Pipeline.Streams;

/// <summary>
/// One <see cref="ProxyStage"/>'s request hook as a stage of the request side: each request passes its
/// <see cref="ProxyStage.OnRequest"/>. A hook that throws refuses that request (its handler gets the
/// exception: a bad body is the client's to fix, anything else a 500), not the connection: the request
/// leaves the chain and the stage asks for the next one.
/// </summary>
internal sealed class RequestStageFlow : GraphStage<FlowShape<RequestBinding, RequestBinding>>
{
    private readonly ProxyStage _proxyStage;

    public RequestStageFlow(ProxyStage proxyStage)
    {
        _proxyStage = proxyStage;
        In = new Inlet<RequestBinding>(proxyStage.Name + ".request.in");
        Out = new Outlet<RequestBinding>(proxyStage.Name + ".request.out");
        Shape = new FlowShape<RequestBinding, RequestBinding>(In, Out);
    }

    public Inlet<RequestBinding> In { get; }

    public Outlet<RequestBinding> Out { get; }

    public override FlowShape<RequestBinding, RequestBinding> Shape { get; }

    protected override Attributes InitialAttributes => Attributes.CreateName(_proxyStage.Name + "-request");

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    public override string ToString() => _proxyStage.Name + " (request)";

    private sealed class Logic : InAndOutGraphStageLogic
    {
        private readonly RequestStageFlow _flow;

        protected override object LogSource => StageLogSource.For(_flow);

        public Logic(RequestStageFlow flow) : base(flow.Shape.Inlets.Length, flow.Shape.Outlets.Length)
        {
            _flow = flow;
            SetHandler(flow.In, this);
            SetHandler(flow.Out, this);
        }

        public override void OnPush()
        {
            RequestBinding request = Grab(_flow.In);
            try
            {
                _flow._proxyStage.OnRequest(request.Exchange);
            }
            catch (Exception ex)
            {
                request.Fail(ex);
                Pull(_flow.In);
                return;
            }

            Push(_flow.Out, request);
        }

        public override void OnPull() => Pull(_flow.In);
    }
}
