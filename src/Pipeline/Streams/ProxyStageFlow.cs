using Akka.Streams;
using Akka.Streams.Stage;
using AkkaProxy.Pipeline.Stages;

namespace AkkaProxy.Pipeline.Streams;

/// <summary>
/// A run of consecutive <see cref="ProxyStage"/>s as one stage of the connection's graph: each frame
/// passes their <see cref="ProxyStage.OnResponseFrame"/> hooks, innermost first, any of which may replace
/// it or drop it; flush points and ends pass untouched. One graph stage for the run, not one per
/// <see cref="ProxyStage"/>: every stage boundary costs each element a hop in the interpreter, and
/// stages with no flow between them need none. The stage objects are the shared blueprint; this is
/// their place in one graph.
/// </summary>
internal sealed class ProxyStageFlow : GraphStage<FlowShape<ProxyFrame, ProxyFrame>>
{
    private readonly ProxyStage[] _proxyStages;
    private readonly string _name;

    public ProxyStageFlow(params ProxyStage[] proxyStages)
    {
        _proxyStages = proxyStages;
        _name = string.Join("+", proxyStages.Select(stage => stage.Name));
        In = new Inlet<ProxyFrame>(_name + ".in");
        Out = new Outlet<ProxyFrame>(_name + ".out");
        Shape = new FlowShape<ProxyFrame, ProxyFrame>(In, Out);
    }

    public Inlet<ProxyFrame> In { get; }

    public Outlet<ProxyFrame> Out { get; }

    public override FlowShape<ProxyFrame, ProxyFrame> Shape { get; }

    protected override Attributes InitialAttributes => Attributes.CreateName(_name);

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    public override string ToString() => _name;

    private sealed class Logic : InAndOutGraphStageLogic
    {
        private readonly ProxyStageFlow _flow;

        protected override object LogSource => StageLogSource.For(_flow);

        public Logic(ProxyStageFlow flow) : base(flow.Shape.Inlets.Length, flow.Shape.Outlets.Length)
        {
            _flow = flow;
            SetHandler(flow.In, this);
            SetHandler(flow.Out, this);
        }

        public override void OnPush()
        {
            ProxyFrame element = Grab(_flow.In);
            if (element.Kind == ProxyFrameKind.Frame && !element.Binding.ClientEnded
                && !StageHooks.Pass(_flow._proxyStages, element.Binding.Exchange, ref element.FrameRef))
            {
                Pull(_flow.In);
                return;
            }

            Push(_flow.Out, element);
        }

        public override void OnPull() => Pull(_flow.In);
    }
}
