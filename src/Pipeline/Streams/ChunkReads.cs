using System.Buffers;
using Akka.IO;
using Akka.Streams;
using Akka.Streams.Stage;

namespace AkkaProxy.Pipeline.Streams;

/// <summary>
/// The source side of an exchange flow: turns the upstream's chunks (<see cref="ByteString"/>s, as
/// an Akka graph carries bytes) into the reads the frame decoder takes, keeping what the decoder has
/// not consumed (an event split across chunks) for the next read. When the chunks end, one last
/// read says so.
/// </summary>
internal sealed class ChunkReads : GraphStage<FlowShape<ByteString, UpstreamRead>>
{
    private readonly ExchangeBinding _binding;

    public ChunkReads(ExchangeBinding binding)
    {
        _binding = binding;
        Shape = new FlowShape<ByteString, UpstreamRead>(In, Out);
    }

    public Inlet<ByteString> In { get; } = new("ChunkReads.in");

    public Outlet<UpstreamRead> Out { get; } = new("ChunkReads.out");

    public override FlowShape<ByteString, UpstreamRead> Shape { get; }

    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("chunk-reads");

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    private sealed class Logic : InAndOutGraphStageLogic
    {
        private readonly ChunkReads _stage;
        private readonly UpstreamRead _read = new();
        private byte[] _bytes = new byte[4096];
        private int _length;
        private bool _lent;
        private bool _ended;
        private bool _upstreamDone;

        protected override object LogSource => StageLogSource.For(_stage);

        public Logic(ChunkReads stage) : base(stage.Shape.Inlets.Length, stage.Shape.Outlets.Length)
        {
            _stage = stage;
            SetHandler(stage.In, this);
            SetHandler(stage.Out, this);
        }

        public override void OnPush()
        {
            ByteString chunk = Grab(_stage.In);
            Append(chunk);
            Lend(isCompleted: false);
        }

        public override void OnUpstreamFinish()
        {
            _upstreamDone = true;
            if (!_lent && IsAvailable(_stage.Out))
            {
                Lend(isCompleted: true);
            }
        }

        public override void OnPull()
        {
            if (_lent)
            {
                _lent = false;
                if (_read.ExchangeEnded)
                {
                    _ended = true;
                    CompleteStage();
                    return;
                }

                Keep(_read.Consumed.GetInteger());
            }

            if (_ended)
            {
                return;
            }

            if (_upstreamDone)
            {
                Lend(isCompleted: true);
            }
            else
            {
                Pull(_stage.In);
            }
        }

        private void Lend(bool isCompleted)
        {
            _lent = true;
            Push(_stage.Out, _read.Bytes(_stage._binding, new ReadOnlySequence<byte>(_bytes, 0, _length), isCompleted));
        }

        private void Append(ByteString chunk)
        {
            if (_length + chunk.Count > _bytes.Length)
            {
                Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _length + chunk.Count));
            }

            chunk.CopyTo(_bytes, _length, chunk.Count);
            _length += chunk.Count;
        }

        /// <summary>Drops what the decoder consumed (array-backed positions are indexes into the array).</summary>
        private void Keep(int consumed)
        {
            _length -= consumed;
            Buffer.BlockCopy(_bytes, consumed, _bytes, 0, _length);
        }
    }
}
