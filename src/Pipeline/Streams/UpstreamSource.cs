using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Akka.Streams;
using Akka.Streams.Stage;

namespace AkkaProxy.Pipeline.Streams;

/// <summary>
/// The graph's source: the upstream body of whichever exchange is attached, one read per element.
/// It reads only when pulled (demand-driven: a client that reads nothing stops the upstream reads)
/// and advances the reader only when pulled again, once everything downstream is done with the bytes.
/// Materializes its <see cref="Control"/>: the way to attach the next exchange, and the graph's kill
/// switch (built into the source rather than a stage after it, which would cost every read a hop).
/// </summary>
internal sealed class UpstreamSource : GraphStageWithMaterializedValue<SourceShape<UpstreamRead>, UpstreamSource.Control>
{
    public UpstreamSource() => Shape = new SourceShape<UpstreamRead>(Out);

    public Outlet<UpstreamRead> Out { get; } = new("UpstreamSource.out");

    public override SourceShape<UpstreamRead> Shape { get; }

    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("upstream-source");

    public override ILogicAndMaterializedValue<Control> CreateLogicAndMaterializedValue(Attributes inheritedAttributes)
    {
        var logic = new Logic(this);
        return new LogicAndMaterializedValue<Control>(logic, logic.Control);
    }

    /// <summary>A materialized source's control: attaches exchanges, and stops the graph (<see cref="IKillSwitch"/>).</summary>
    internal sealed class Control(Action<ExchangeBinding> attach, Action shutdown, Action<Exception> abort) : IKillSwitch
    {
        /// <summary>Attaches the next exchange: the source reads its upstream body from now on.</summary>
        public void Attach(ExchangeBinding binding) => attach(binding);

        /// <summary>Completes the graph: the source stops, everything downstream completes.</summary>
        public void Shutdown() => shutdown();

        /// <summary>Fails the graph with <paramref name="cause"/>.</summary>
        public void Abort(Exception cause) => abort(cause);
    }

    public override string ToString() => "UpstreamSource";

    private sealed class Logic : OutGraphStageLogic
    {
        private readonly UpstreamSource _stage;
        private readonly UpstreamRead _element = new();
        private readonly Action _readCompleted;
        private ExchangeBinding? _current;
        private ValueTaskAwaiter<ReadResult> _pending;
        private bool _lent;
        private bool _reading;

        protected override object LogSource => StageLogSource.For(_stage);

        public Logic(UpstreamSource stage) : base(stage.Shape.Inlets.Length, stage.Shape.Outlets.Length)
        {
            _stage = stage;
            Control = new Control(GetAsyncCallback<ExchangeBinding>(OnAttach), GetAsyncCallback(CompleteStage), GetAsyncCallback<Exception>(FailStage));
            _readCompleted = GetAsyncCallback(OnReadCompleted);
            SetHandler(stage.Out, this);
        }

        public Control Control { get; }

        public override void OnPull()
        {
            if (_lent)
            {
                _lent = false;
                if (!_element.ExchangeEnded)
                {
                    _element.Binding.Upstream.AdvanceTo(_element.Consumed, _element.Examined);
                }
                else if (ReferenceEquals(_current, _element.Binding))
                {
                    // The decoder ended that exchange: its handler owns the reader again (and completes
                    // it). The next exchange may already be attached; it is left alone.
                    _current = null;
                }
            }

            if (_current is not null)
            {
                Read();
            }
        }

        private void OnAttach(ExchangeBinding binding)
        {
            _current = binding;
            if (IsAvailable(_stage.Out))
            {
                Read();
            }
        }

        private void Read()
        {
            ExchangeBinding binding = _current!;
            if (binding.ClientEnded)
            {
                Lend(_element.Abandoned(binding));
                return;
            }

            _reading = true;
            try
            {
                _pending = binding.Upstream.ReadAsync(binding.CancellationToken).GetAwaiter();
            }
            catch (Exception ex)
            {
                _reading = false;
                Lend(_element.Failed(binding, ex));
                return;
            }

            if (_pending.IsCompleted)
            {
                OnReadCompleted();
            }
            else
            {
                _pending.UnsafeOnCompleted(_readCompleted);
            }
        }

        private void OnReadCompleted()
        {
            if (!_reading)
            {
                return;
            }

            _reading = false;
            ExchangeBinding binding = _current!;
            ReadResult result;
            try
            {
                result = _pending.GetResult();
            }
            catch (Exception ex)
            {
                Lend(_element.Failed(binding, ex));
                return;
            }

            binding.Activity?.Touch();
            Lend(result.IsCanceled ? _element.Abandoned(binding) : _element.Bytes(binding, result.Buffer, result.IsCompleted));
        }

        private void Lend(UpstreamRead read)
        {
            // Lent (and advanced on the next pull) only when it holds the reader's buffer; a failure or
            // an abandoned exchange ends the exchange, after which the reader is its handler's again.
            _lent = read.Failure is null && !read.IsAbandoned;
            if (!_lent)
            {
                _current = null;
            }

            Push(_stage.Out, read);
        }
    }
}
