using Akka.Streams;
using Akka.Streams.Stage;
using AkkaProxy.Pipeline.Stages;

namespace AkkaProxy.Pipeline.Streams;

/// <summary>
/// One <see cref="ProxyStage"/> as a stage of the connection's graph: each frame passes its
/// <see cref="ProxyStage.OnResponseFrame"/>, which may replace it or drop it; flush points and ends
/// pass untouched. The stage object is the shared blueprint; this is its place in one graph.
/// </summary>
internal sealed class ProxyStageFlow : GraphStage<FlowShape<ProxyFrame, ProxyFrame>>
{
    private readonly ProxyStage _proxyStage;

    public ProxyStageFlow(ProxyStage proxyStage)
    {
        _proxyStage = proxyStage;
        In = new Inlet<ProxyFrame>(proxyStage.Name + ".in");
        Out = new Outlet<ProxyFrame>(proxyStage.Name + ".out");
        Shape = new FlowShape<ProxyFrame, ProxyFrame>(In, Out);
    }

    public Inlet<ProxyFrame> In { get; }

    public Outlet<ProxyFrame> Out { get; }

    public override FlowShape<ProxyFrame, ProxyFrame> Shape { get; }

    protected override Attributes InitialAttributes => Attributes.CreateName(_proxyStage.Name);

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    public override string ToString() => _proxyStage.Name;

    private sealed class Logic : InAndOutGraphStageLogic
    {
        private readonly ProxyStageFlow _flow;

        public Logic(ProxyStageFlow flow) : base(flow.Shape)
        {
            _flow = flow;
            SetHandler(flow.In, this);
            SetHandler(flow.Out, this);
        }

        public override void OnPush()
        {
            ProxyFrame element = Grab(_flow.In);
            if (element.Kind == ProxyFrameKind.Frame && !element.Binding.ClientEnded
                && _flow._proxyStage.OnResponseFrame(element.Binding.Exchange, ref element.FrameRef) == FrameDecision.Drop)
            {
                Pull(_flow.In);
                return;
            }

            Push(_flow.Out, element);
        }

        public override void OnPull() => Pull(_flow.In);
    }
}
