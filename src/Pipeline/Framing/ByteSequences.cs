using System.Buffers;

namespace AkkaProxy.Pipeline.Framing;

/// <summary>Comparisons of bytes that may span segments, without allocating.</summary>
internal static class ByteSequences
{
    /// <summary>Whether <paramref name="value"/> holds exactly <paramref name="expected"/> (a short name: a split one is copied to the stack, not to a new array).</summary>
    public static bool IsExactly(in ReadOnlySequence<byte> value, ReadOnlySpan<byte> expected)
    {
        if (value.Length != expected.Length)
        {
            return false;
        }

        if (value.IsSingleSegment)
        {
            return value.FirstSpan.SequenceEqual(expected);
        }

        Span<byte> copy = stackalloc byte[expected.Length];
        value.CopyTo(copy);
        return copy.SequenceEqual(expected);
    }
}
