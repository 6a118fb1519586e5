using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Akka.Streams;
using Akka.Streams.Stage;

namespace AkkaProxy.Pipeline.Streams;

/// <summary>
/// The graph's sink: writes each frame to the current exchange's client, flushes at each flush
/// point and asks for more only once the client has taken the bytes (its backpressure reaches the
/// upstream reads), and reports each exchange's end. Materializes a task that ends with the graph.
/// </summary>
internal sealed class ClientSink : GraphStageWithMaterializedValue<SinkShape<ProxyFrame>, Task>
{
    public ClientSink() => Shape = new SinkShape<ProxyFrame>(In);

    public Inlet<ProxyFrame> In { get; } = new("ClientSink.in");

    public override SinkShape<ProxyFrame> Shape { get; }

    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("client-sink");

    public override ILogicAndMaterializedValue<Task> CreateLogicAndMaterializedValue(Attributes inheritedAttributes)
    {
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return new LogicAndMaterializedValue<Task>(new Logic(this, stopped), stopped.Task);
    }

    public override string ToString() => "ClientSink";

    private sealed class Logic : InGraphStageLogic
    {
        private readonly ClientSink _stage;
        private readonly TaskCompletionSource _stopped;
        private readonly Action _flushCompleted;
        private ValueTaskAwaiter<FlushResult> _pending;
        private ExchangeBinding? _flushing;

        protected override object LogSource => StageLogSource.For(_stage);

        public Logic(ClientSink stage, TaskCompletionSource stopped) : base(stage.Shape.Inlets.Length, stage.Shape.Outlets.Length)
        {
            _stage = stage;
            _stopped = stopped;
            _flushCompleted = GetAsyncCallback(OnFlushCompleted);
            SetHandler(stage.In, this);
        }

        public override void PreStart() => Pull(_stage.In);

        public override void OnPush()
        {
            ProxyFrame element = Grab(_stage.In);
            ExchangeBinding binding = element.Binding;
            switch (element.Kind)
            {
                case ProxyFrameKind.Frame:
                    if (!binding.ClientEnded)
                    {
                        Write(binding.Client, element.Frame.Raw);
                    }

                    Pull(_stage.In);
                    return;
                case ProxyFrameKind.Flush:
                    Flush(binding);
                    return;
                default:
                    binding.Finish(element.Result, element.Failure);
                    Pull(_stage.In);
                    return;
            }
        }

        public override void OnUpstreamFinish()
        {
            _stopped.TrySetResult();
            CompleteStage();
        }

        public override void OnUpstreamFailure(Exception e)
        {
            _stopped.TrySetException(e);
            FailStage(e);
        }

        public override void PostStop() => _stopped.TrySetResult();

        private void Flush(ExchangeBinding binding)
        {
            if (binding.ClientEnded)
            {
                Pull(_stage.In);
                return;
            }

            binding.Exchange.FirstByteAt ??= binding.Time.GetUtcNow();
            binding.Run.WaitingForClient = true;
            _flushing = binding;
            try
            {
                _pending = binding.Client.FlushAsync(binding.CancellationToken).GetAwaiter();
            }
            catch (Exception ex)
            {
                _flushing = null;
                binding.EndByClient(ex);
                Pull(_stage.In);
                return;
            }

            if (_pending.IsCompleted)
            {
                OnFlushCompleted();
            }
            else
            {
                _pending.UnsafeOnCompleted(_flushCompleted);
            }
        }

        private void OnFlushCompleted()
        {
            ExchangeBinding? binding = _flushing;
            if (binding is null)
            {
                return;
            }

            _flushing = null;
            try
            {
                FlushResult result = _pending.GetResult();
                binding.Activity?.Touch();
                // A timeout that fired while this flush was pending is the client's: the run stays
                // "waiting for the client" so the supervisor blames the stalled client, not the next read.
                if (binding.Activity?.HasExpired != true)
                {
                    binding.Run.WaitingForClient = false;
                }

                if (result.IsCompleted || result.IsCanceled)
                {
                    binding.EndByClient(PumpResult.ClientGone);
                }
            }
            catch (Exception ex)
            {
                binding.EndByClient(ex);
            }

            Pull(_stage.In);
        }

        private static void Write(PipeWriter client, in ReadOnlySequence<byte> bytes)
        {
            if (bytes.IsSingleSegment)
            {
                client.Write(bytes.FirstSpan);
                return;
            }

            foreach (ReadOnlyMemory<byte> segment in bytes)
            {
                client.Write(segment.Span);
            }
        }
    }
}
