using System.Buffers;
using Akka.Streams;
using Akka.Streams.Stage;
using AkkaProxy.Pipeline.Framing;
using AkkaProxy.Pipeline.Stages;

namespace AkkaProxy.Pipeline.Streams;

/// <summary>
/// Splits each upstream read into frames: SSE events for event streams (byte-exact, the event size
/// limit enforced), the read itself as one chunk for any other body. After the frames of a read it
/// emits a flush point, and at the end of the exchange an end element, so the sink flushes once per
/// read and reports each exchange's end exactly once.
/// </summary>
internal sealed class FrameDecoderStage : GraphStage<FlowShape<UpstreamRead, ProxyFrame>>
{
    private readonly long _maxEventBytes;

    public FrameDecoderStage(long maxEventBytes)
    {
        _maxEventBytes = maxEventBytes;
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
        private UpstreamRead? _read;
        private ReadOnlySequence<byte> _buffer;
        private bool _chunkSent;
        private bool _wrote;
        private bool _flushPending;
        private bool _tooLarge;
        private bool _finishing;

        public Logic(FrameDecoderStage stage) : base(stage.Shape)
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
            if (_sse is null)
            {
                if (!_chunkSent && !_buffer.IsEmpty)
                {
                    _chunkSent = true;
                    _wrote = true;
                    ReadOnlySequence<byte> chunk = _buffer;
                    _buffer = _buffer.Slice(_buffer.End);
                    Push(_stage.Out, _element.AsFrame(binding, new ResponseFrame(FrameKind.BodyChunk, chunk, default, chunk, hasData: true)));
                    return;
                }

                FinishRead();
                return;
            }

            switch (_sse.TryRead(ref _buffer, _read.IsCompleted, out ResponseFrame frame))
            {
                case DecodeStatus.Frame:
                    _wrote = true;
                    Push(_stage.Out, _element.AsFrame(binding, frame));
                    return;
                case DecodeStatus.FrameTooLarge:
                    _buffer = _buffer.Slice(_buffer.End);
                    _tooLarge = true;
                    break;
            }

            FinishRead();
        }

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
            if (_tooLarge)
            {
                End(read.Binding, PumpResult.FrameTooLarge, null);
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
            _tooLarge = false;
            _wrote = false;
            Push(_stage.Out, _element.AsEnd(binding, result, failure));
        }
    }
}
