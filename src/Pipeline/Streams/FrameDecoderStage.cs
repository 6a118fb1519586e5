using System.Buffers;
using Akka.Streams;
using Akka.Streams.Stage;
using AkkaProxy.Pipeline.Framing;
using AkkaProxy.Pipeline.Stages;

namespace AkkaProxy.Pipeline.Streams;

/// <summary>
/// Splits each upstream read into frames: SSE events for event streams (byte-exact, the event size
/// limit enforced), AWS event stream messages for Bedrock's (checksums checked: a corrupt message ends
/// the exchange), the read itself as one chunk for any other body. After the frames of a read it
/// emits a flush point, and at the end of the exchange an end element, so the sink flushes once per
/// read and reports each exchange's end exactly once.
/// </summary>
/// <remarks>
/// It also calls the innermost stages' hooks (the usage tap, include-usage, and custom stages up to the
/// first user flow: <see cref="StageChain.Inner"/>) on each frame before it pushes it, and goes on to
/// the next frame when one of them drops it: three graph stages' work with no hop between them, since
/// each hop in the interpreter costs every frame. Each stage keeps its own box in the code and its
/// place in the order; only its place in the graph is shared.
/// </remarks>
internal sealed class FrameDecoderStage : GraphStage<FlowShape<UpstreamRead, ProxyFrame>>
{
    private readonly long _maxEventBytes;
    private readonly ProxyStage[] _inner;

    public FrameDecoderStage(long maxEventBytes, ProxyStage[]? innerStages = null)
    {
        _maxEventBytes = maxEventBytes;
        _inner = innerStages ?? [];
        Shape = new FlowShape<UpstreamRead, ProxyFrame>(In, Out);
    }

    public Inlet<UpstreamRead> In { get; } = new("FrameDecoder.in");

    public Outlet<ProxyFrame> Out { get; } = new("FrameDecoder.out");

    public override FlowShape<UpstreamRead, ProxyFrame> Shape { get; }

    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("frame-decoder");

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    public override string ToString() => "FrameDecoder";

    private sealed class Logic : InAndOutGraphStageLogic
    {
        private readonly FrameDecoderStage _stage;
        private readonly ProxyFrame _element = new();
        private ExchangeBinding? _binding;
        private SseFrameDecoder? _sse;
        private AwsEventStreamDecoder? _events;
        private UpstreamRead? _read;
        private ReadOnlySequence<byte> _buffer;
        private bool _chunkSent;
        private bool _wrote;
        private bool _flushPending;
        private PumpResult? _ending; // a frame too large or a corrupt message: the exchange ends after this read
        private bool _finishing;

        protected override object LogSource => StageLogSource.For(_stage);

        public Logic(FrameDecoderStage stage) : base(stage.Shape.Inlets.Length, stage.Shape.Outlets.Length)
        {
            _stage = stage;
            SetHandler(stage.In, this);
            SetHandler(stage.Out, this);
        }

        public override void OnPush()
        {
            UpstreamRead read = Grab(_stage.In);
            ExchangeBinding binding = read.Binding;
            if (read.Failure is not null || read.IsAbandoned)
            {
                End(binding, PumpResult.UpstreamEnded, read.Failure);
                return;
            }

            if (!ReferenceEquals(binding, _binding))
            {
                _binding = binding;
                _sse = binding.Framing == FrameKind.SseEvent ? new SseFrameDecoder(_stage._maxEventBytes) : null;
                _events = binding.Framing == FrameKind.EventStreamMessage ? new AwsEventStreamDecoder(Math.Max(_stage._maxEventBytes, 16)) : null;
            }

            _read = read;
            _buffer = read.Buffer;
            _chunkSent = false;
            Step();
        }

        public override void OnUpstreamFinish()
        {
            // A source that completes after its last read (an exchange flow's) leaves that read to finish.
            if (_read is null && !_flushPending)
            {
                CompleteStage();
                return;
            }

            _finishing = true;
        }

        public override void OnPull()
        {
            if (_finishing && _read is null && !_flushPending)
            {
                CompleteStage();
                return;
            }

            if (_flushPending)
            {
                _flushPending = false;
                AfterFlush();
            }
            else if (_read is not null)
            {
                Step();
            }
            else if (!HasBeenPulled(_stage.In))
            {
                Pull(_stage.In);
            }
        }

        /// <summary>Emits the next frame of the current read, or finishes the read.</summary>
        private void Step()
        {
            ExchangeBinding binding = _read!.Binding;
            if (_sse is null && _events is null)
            {
                if (!_chunkSent && !_buffer.IsEmpty)
                {
                    _chunkSent = true;
                    ReadOnlySequence<byte> chunk = _buffer;
                    _buffer = _buffer.Slice(_buffer.End);
                    var body = new ResponseFrame(FrameKind.BodyChunk, chunk, default, chunk, hasData: true);
                    if (PassInner(binding, ref body))
                    {
                        _wrote = true;
                        Push(_stage.Out, _element.AsFrame(binding, body));
                        return;
                    }
                }

                FinishRead();
                return;
            }

            while (true)
            {
                switch (Decode(out ResponseFrame frame))
                {
                    case DecodeStatus.Frame:
                        if (!PassInner(binding, ref frame))
                        {
                            continue; // dropped (the usage-only chunk a client did not ask for): the next one
                        }

                        _wrote = true;
                        Push(_stage.Out, _element.AsFrame(binding, frame));
                        return;
                    case DecodeStatus.FrameTooLarge:
                        _buffer = _buffer.Slice(_buffer.End);
                        _ending = PumpResult.FrameTooLarge;
                        break;
                    case DecodeStatus.Corrupt:
                        // Nothing past a failed checksum can be trusted to be a message: the stream ends here.
                        binding.Exchange.StreamError = _events!.Error;
                        _buffer = _buffer.Slice(_buffer.End);
                        _ending = PumpResult.UpstreamCorrupt;
                        break;
                }

                break;
            }

            FinishRead();
        }

        /// <summary>The next frame of the read: an SSE event, or an AWS event stream message (its checksums checked).</summary>
        private DecodeStatus Decode(out ResponseFrame frame)
        {
            if (_sse is not null)
            {
                return _sse.TryRead(ref _buffer, _read!.IsCompleted, out frame);
            }

            DecodeStatus status = _events!.TryRead(ref _buffer, _read!.IsCompleted, out EventStreamMessage message);
            frame = status == DecodeStatus.Frame
                ? new ResponseFrame(FrameKind.EventStreamMessage, message.Raw, message.EventType, message.Payload, hasData: true, isException: !message.IsEvent)
                : default;
            return status;
        }

        /// <summary>The innermost stages' hooks on one frame (none once the client is gone, as in a stage flow); false when one dropped it.</summary>
        private bool PassInner(ExchangeBinding binding, ref ResponseFrame frame) =>
            _stage._inner.Length == 0 || binding.ClientEnded || StageHooks.Pass(_stage._inner, binding.Exchange, ref frame);

        /// <summary>The read is done: tell the source how far it was consumed, flush what it produced, then go on.</summary>
        private void FinishRead()
        {
            _read!.Consumed = _buffer.Start;
            _read.Examined = _buffer.End;
            if (_wrote)
            {
                _wrote = false;
                _flushPending = true;
                Push(_stage.Out, _element.AsFlush(_read.Binding));
                return;
            }

            AfterFlush();
        }

        private void AfterFlush()
        {
            UpstreamRead read = _read!;
            if (_ending is PumpResult ending)
            {
                End(read.Binding, ending, null);
            }
            else if (read.IsCompleted)
            {
                End(read.Binding, PumpResult.UpstreamEnded, null);
            }
            else
            {
                _read = null;
                Pull(_stage.In);
            }
        }

        private void End(ExchangeBinding binding, PumpResult result, Exception? failure)
        {
            if (_read is not null)
            {
                _read.ExchangeEnded = true;
                _read = null;
            }

            _buffer = default;
            _binding = null;
            _sse = null;
            _events = null;
            _ending = null;
            _wrote = false;
            Push(_stage.Out, _element.AsEnd(binding, result, failure));
        }
    }
}
