using AkkaProxy.Pipeline.Stages;

namespace AkkaProxy.Pipeline.Streams;

/// <summary>What a <see cref="ProxyFrame"/> carries.</summary>
public enum ProxyFrameKind : byte
{
    /// <summary>A response frame on its way to the client; stages may replace it (<see cref="ProxyFrame.Frame"/>) or drop it.</summary>
    Frame,

    /// <summary>A flush point: everything of one upstream read has passed. Pass it on unchanged.</summary>
    Flush,

    /// <summary>The end of one exchange. Pass it on unchanged: the exchange ends when it reaches the client.</summary>
    End,
}

/// <summary>
/// The element of a connection's graph between the frame decoder and the client: a response
/// frame, a flush point or the end of an exchange. An Akka.Streams <c>Flow</c> spliced into the
/// chain (<see cref="ProxyStreamBuilder.UseFlow"/>) sees every element in order.
/// </summary>
/// <remarks>
/// <para><b>A loan, reused.</b> The graph keeps one element in flight and reuses the object; its
/// bytes belong to the upstream's buffer. A flow may replace <see cref="Frame"/>, or drop an element
/// of kind <see cref="ProxyFrameKind.Frame"/>; it must pass flush points and ends on, one out per
/// one in, without buffering, delaying or reordering (use <c>Select</c>, <c>Where</c>, a stage of
/// your own, <c>SelectAsync(1, …)</c>; never <c>Buffer</c>, <c>Grouped</c> or an async boundary,
/// which <see cref="ProxyStreamBuilder.UseFlow"/> refuses). Copy out what must outlive the element.</para>
/// </remarks>
public sealed class ProxyFrame
{
    internal ProxyFrame()
    {
    }

    /// <summary>What this element carries.</summary>
    public ProxyFrameKind Kind { get; private set; }

    /// <summary>The exchange it belongs to.</summary>
    public ProxyExchange Exchange => Binding.Exchange;

    /// <summary>The frame, for <see cref="ProxyFrameKind.Frame"/>; assign a new one to change what the client receives.</summary>
    public ResponseFrame Frame { get => _frame; set => _frame = value; }

    internal ExchangeBinding Binding { get; private set; } = null!;

    /// <summary>The frame, by reference, for <see cref="ProxyStage.OnResponseFrame"/>.</summary>
    internal ref ResponseFrame FrameRef => ref _frame;

    private ResponseFrame _frame;

    /// <summary>For <see cref="ProxyFrameKind.End"/>: how the upstream side ended.</summary>
    internal PumpResult Result { get; private set; }

    /// <summary>For <see cref="ProxyFrameKind.End"/>: the upstream read's failure, if that is how it ended.</summary>
    internal Exception? Failure { get; private set; }

    internal ProxyFrame AsFrame(ExchangeBinding binding, in ResponseFrame frame)
    {
        Kind = ProxyFrameKind.Frame;
        Binding = binding;
        _frame = frame;
        Failure = null;
        return this;
    }

    internal ProxyFrame AsFlush(ExchangeBinding binding)
    {
        Kind = ProxyFrameKind.Flush;
        Binding = binding;
        _frame = default;
        Failure = null;
        return this;
    }

    internal ProxyFrame AsEnd(ExchangeBinding binding, PumpResult result, Exception? failure)
    {
        Kind = ProxyFrameKind.End;
        Binding = binding;
        _frame = default;
        Result = result;
        Failure = failure;
        return this;
    }

    /// <summary>Lets go of the last exchange, so an idle graph keeps none alive.</summary>
    internal void Release()
    {
        Binding = null!;
        _frame = default;
        Failure = null;
    }
}
