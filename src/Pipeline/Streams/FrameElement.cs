using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Supervision;

namespace AkkaProxy.Pipeline.Streams;

/// <summary>What a <see cref="FrameElement"/> carries.</summary>
internal enum FrameElementKind : byte
{
    /// <summary>A response frame on its way to the client; stages may replace or drop it.</summary>
    Frame,

    /// <summary>Everything of one upstream read was written: the sink flushes to the client.</summary>
    Flush,

    /// <summary>The exchange ended on the upstream side (or could not go on); the sink reports the end.</summary>
    End,
}

/// <summary>
/// The element from the frame decoder through the stages to the client sink. One per connection,
/// reused: the graph holds one element in flight at a time, so a stage has finished with it before
/// the decoder fills it again. Like <see cref="ResponseFrame"/>'s bytes, it is valid only until the
/// stage that holds it pulls again.
/// </summary>
internal sealed class FrameElement
{
    public FrameElementKind Kind { get; private set; }

    public ExchangeBinding Binding { get; private set; } = null!;

    /// <summary>The frame (for <see cref="FrameElementKind.Frame"/>); stages replace it in place.</summary>
    public ResponseFrame Frame;

    /// <summary>For <see cref="FrameElementKind.End"/>: how the upstream side ended.</summary>
    public PumpResult Result { get; private set; }

    /// <summary>For <see cref="FrameElementKind.End"/>: the upstream read's failure, if that is how it ended.</summary>
    public Exception? Failure { get; private set; }

    public FrameElement AsFrame(ExchangeBinding binding, in ResponseFrame frame)
    {
        Kind = FrameElementKind.Frame;
        Binding = binding;
        Frame = frame;
        Failure = null;
        return this;
    }

    public FrameElement AsFlush(ExchangeBinding binding)
    {
        Kind = FrameElementKind.Flush;
        Binding = binding;
        Frame = default;
        Failure = null;
        return this;
    }

    public FrameElement AsEnd(ExchangeBinding binding, PumpResult result, Exception? failure)
    {
        Kind = FrameElementKind.End;
        Binding = binding;
        Frame = default;
        Result = result;
        Failure = failure;
        return this;
    }
}
