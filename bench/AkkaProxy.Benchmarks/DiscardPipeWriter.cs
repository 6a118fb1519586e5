using System.IO.Pipelines;

namespace AkkaProxy.Benchmarks;

/// <summary>
/// A client that takes every byte and throws it away, with one reused buffer: the benchmark then
/// counts the relay's allocations only. (<c>PipeWriter.Create(Stream.Null)</c> allocates its own
/// ~100 B segment object per 4 KiB written between flushes; see docs/benchmarks.md.)
/// </summary>
public sealed class DiscardPipeWriter : PipeWriter
{
    private byte[] _buffer = new byte[16 * 1024];

    /// <summary>Bytes written so far.</summary>
    public long Written { get; private set; }

    public override void Advance(int bytes) => Written += bytes;

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        if (sizeHint > _buffer.Length)
        {
            _buffer = new byte[sizeHint];
        }

        return _buffer;
    }

    public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public override void CancelPendingFlush()
    {
    }

    public override void Complete(Exception? exception = null)
    {
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) =>
        new(new FlushResult(isCanceled: false, isCompleted: false));
}
