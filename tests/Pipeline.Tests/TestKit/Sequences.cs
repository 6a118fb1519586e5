using System.Buffers;

namespace AkkaProxy.Pipeline.Tests.TestKit;

/// <summary>Builds <see cref="ReadOnlySequence{T}"/>s split into many segments, to test parsers across segment boundaries.</summary>
public static class Sequences
{
    /// <summary>One segment per <paramref name="segmentSize"/> bytes.</summary>
    public static ReadOnlySequence<byte> Split(ReadOnlyMemory<byte> bytes, int segmentSize)
    {
        if (bytes.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        Segment first = new(bytes[..Math.Min(segmentSize, bytes.Length)], 0);
        Segment last = first;
        for (int offset = segmentSize; offset < bytes.Length; offset += segmentSize)
        {
            last = last.Append(bytes[offset..Math.Min(offset + segmentSize, bytes.Length)]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>Two segments, split at <paramref name="at"/>.</summary>
    public static ReadOnlySequence<byte> SplitAt(ReadOnlyMemory<byte> bytes, int at)
    {
        var first = new Segment(bytes[..at], 0);
        Segment last = first.Append(bytes[at..]);
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
