using System.Buffers;
using System.IO.Pipelines;

namespace AkkaProxy.Pipeline.Tests.TestKit;

/// <summary>
/// An upstream body as a <see cref="PipeReader"/> whose reads end exactly where the test says (each
/// read returns everything not yet consumed plus the next piece), optionally failing after them.
/// Reads complete at once, as they do when the bytes have already arrived.
/// </summary>
internal sealed class ScriptedReader : PipeReader
{
    private readonly byte[] _bytes;
    private readonly int[] _ends;
    private readonly Exception? _failAfter;
    private int _next;
    private long _consumed;
    private long _available;

    /// <param name="bytes">The whole body.</param>
    /// <param name="ends">Where each read ends (ascending; the last one is the body's length unless it fails).</param>
    /// <param name="failAfter">Thrown by the read after the last one, instead of completing.</param>
    public ScriptedReader(byte[] bytes, int[] ends, Exception? failAfter = null)
    {
        _bytes = bytes;
        _ends = ends;
        _failAfter = failAfter;
    }

    /// <summary>Reads made so far.</summary>
    public int Reads { get; private set; }

    /// <summary>Whether the reader was completed by its owner.</summary>
    public bool IsCompleted { get; private set; }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Reads++;
        if (_next < _ends.Length)
        {
            _available = _ends[_next++];
        }
        else if (_failAfter is not null)
        {
            throw _failAfter;
        }

        bool done = _next >= _ends.Length && _failAfter is null && _available == _bytes.Length;
        var buffer = new ReadOnlySequence<byte>(_bytes, (int)_consumed, (int)(_available - _consumed));
        return ValueTask.FromResult(new ReadResult(buffer, isCanceled: false, isCompleted: done));
    }

    public override bool TryRead(out ReadResult result) => throw new NotSupportedException();

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    // An array-backed sequence's positions are indexes into the array.
    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => _consumed = consumed.GetInteger();

    public override void CancelPendingRead()
    {
    }

    public override void Complete(Exception? exception = null) => IsCompleted = true;
}
