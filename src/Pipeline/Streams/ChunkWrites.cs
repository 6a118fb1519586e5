using System.Buffers;
using Akka.IO;
using Akka.Streams;
using Akka.Streams.Stage;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Framing;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Streams;

/// <summary>
/// The client side of an exchange flow: the frames of each upstream read leave as one
/// <see cref="ByteString"/> at its flush point; at the end of the exchange the run completes and the
/// flow's materialized result is set, then the flow completes. A downstream that cancels ends the
/// exchange as client-aborted, and the cancel travels to the upstream.
/// </summary>
internal sealed class ChunkWrites : GraphStageWithMaterializedValue<FlowShape<ProxyFrame, ByteString>, Task<ExchangeResult>>
{
    public ChunkWrites() => Shape = new FlowShape<ProxyFrame, ByteString>(In, Out);

    public Inlet<ProxyFrame> In { get; } = new("ChunkWrites.in");

    public Outlet<ByteString> Out { get; } = new("ChunkWrites.out");

    public override FlowShape<ProxyFrame, ByteString> Shape { get; }

    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("chunk-writes");

    public override ILogicAndMaterializedValue<Task<ExchangeResult>> CreateLogicAndMaterializedValue(Attributes inheritedAttributes)
    {
        var result = new TaskCompletionSource<ExchangeResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        return new LogicAndMaterializedValue<Task<ExchangeResult>>(new Logic(this, result), result.Task);
    }

    private sealed class Logic : InAndOutGraphStageLogic
    {
        private readonly ChunkWrites _stage;
        private readonly TaskCompletionSource<ExchangeResult> _result;
        private readonly ArrayBufferWriter<byte> _pending = new(4096);
        private ExchangeBinding? _binding;

        protected override object LogSource => StageLogSource.For(_stage);

        public Logic(ChunkWrites stage, TaskCompletionSource<ExchangeResult> result) : base(stage.Shape.Inlets.Length, stage.Shape.Outlets.Length)
        {
            _stage = stage;
            _result = result;
            SetHandler(stage.In, this);
            SetHandler(stage.Out, this);
        }

        public override void OnPush()
        {
            ProxyFrame element = Grab(_stage.In);
            _binding = element.Binding;
            switch (element.Kind)
            {
                case ProxyFrameKind.Frame:
                    foreach (ReadOnlyMemory<byte> segment in element.Frame.Raw)
                    {
                        _pending.Write(segment.Span);
                    }

                    Pull(_stage.In);
                    return;
                case ProxyFrameKind.Flush when _pending.WrittenCount == 0:
                    Pull(_stage.In); // every frame of the read was dropped: nothing to send
                    return;
                case ProxyFrameKind.Flush:
                    element.Exchange.FirstByteAt ??= element.Binding.Time.GetUtcNow();
                    Push(_stage.Out, ByteString.FromBytes(_pending.WrittenSpan.ToArray()));
                    _pending.Clear();
                    return;
                default:
                    Finish(element.Binding, element.Result, element.Failure);
                    return;
            }
        }

        public override void OnPull()
        {
            if (!HasBeenPulled(_stage.In) && !_result.Task.IsCompleted)
            {
                Pull(_stage.In);
            }
        }

        public override void OnUpstreamFinish()
        {
            if (_binding is not null && !_result.Task.IsCompleted)
            {
                Finish(_binding, PumpResult.UpstreamEnded, null);
                return;
            }

            CompleteStage();
        }

        public override void OnUpstreamFailure(Exception e)
        {
            _result.TrySetException(e);
            FailStage(e);
        }

        public override void OnDownstreamFinish(Exception cause)
        {
            if (_binding is not null)
            {
                _result.TrySetResult(Result(_binding, ExchangeOutcome.ClientAborted, "client_closed_request"));
            }

            base.OnDownstreamFinish(cause);
        }

        public override void PostStop() =>
            _result.TrySetException(new InvalidOperationException("The exchange flow stopped before its exchange ended."));

        private void Finish(ExchangeBinding binding, PumpResult result, Exception? failure)
        {
            if (failure is not null)
            {
                _result.TrySetException(failure);
                FailStage(failure);
                return;
            }

            (ExchangeOutcome outcome, string? code) = result switch
            {
                PumpResult.FrameTooLarge => (ExchangeOutcome.Failed, "event_too_large"),
                PumpResult.UpstreamCorrupt => (ExchangeOutcome.Failed, binding.Exchange.StreamError == EventStreamError.Truncated ? "upstream_truncated" : "upstream_stream_corrupt"),
                _ => Ending(binding),
            };
            _result.TrySetResult(Result(binding, outcome, code));
            CompleteStage();
        }

        /// <summary>How the upstream said the response ended, the way the HTTP relay judges it.</summary>
        private static (ExchangeOutcome, string?) Ending(ExchangeBinding binding)
        {
            binding.Run.Complete();
            ProxyExchange exchange = binding.Exchange;
            TerminalKind terminal = exchange.Terminal == TerminalKind.None && exchange.Accumulator.FinishedImplicitly ? TerminalKind.Completed : exchange.Terminal;
            return terminal switch
            {
                TerminalKind.Completed => (ExchangeOutcome.Completed, null),
                TerminalKind.Incomplete => (ExchangeOutcome.Incomplete, "response_incomplete"),
                TerminalKind.Failed => (ExchangeOutcome.Failed, "upstream_reported_error"),
                _ => (ExchangeOutcome.Failed, "upstream_truncated"),
            };
        }

        private static ExchangeResult Result(ExchangeBinding binding, ExchangeOutcome outcome, string? code)
        {
            binding.Run.Complete();
            ProxyExchange exchange = binding.Exchange;
            return new ExchangeResult
            {
                RequestId = exchange.RequestId,
                Outcome = outcome,
                ErrorCode = code,
                Usage = exchange.Usage,
                ResponseId = exchange.ResponseId,
                ResponseModel = exchange.ResponseModel,
                Warnings = exchange.Accumulator.Warnings(),
            };
        }
    }
}
