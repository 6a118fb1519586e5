using System.Buffers;
using System.Text;
using AkkaProxy.Pipeline.Framing;
using AkkaProxy.Pipeline.Stages;

namespace AkkaProxy.Pipeline.Tests.TestKit;

/// <summary>
/// Drives a decoder the way a PipeReader does: bytes arrive in chunks; after NeedMoreData the same
/// unconsumed bytes come back with the new ones appended; at the end the final block is flagged.
/// </summary>
public static class SseFeeder
{
    public enum Chunking
    {
        Whole,
        OneBytePerRead,
        SplitSegments,
    }

    internal static (List<DecodedEvent> Events, DecodeStatus Last) Decode(byte[] input, Chunking chunking, long maxEventBytes = 1 << 20)
    {
        var decoder = new SseFrameDecoder(maxEventBytes);
        var events = new List<DecodedEvent>();
        int readSize = chunking == Chunking.OneBytePerRead ? 1 : input.Length;
        int available = 0;
        int consumed = 0;
        while (true)
        {
            available = Math.Min(input.Length, available + Math.Max(1, readSize));
            bool final = available == input.Length;
            ReadOnlyMemory<byte> window = input.AsMemory(consumed, available - consumed);
            ReadOnlySequence<byte> buffer = chunking == Chunking.SplitSegments ? Sequences.Split(window, 3) : new ReadOnlySequence<byte>(window);
            long before = buffer.Length;
            DecodeStatus status;
            while ((status = decoder.TryRead(ref buffer, final, out ResponseFrame frame)) == DecodeStatus.Frame)
            {
                events.Add(new DecodedEvent(
                    Encoding.UTF8.GetString(frame.Raw.ToArray()),
                    Encoding.UTF8.GetString(frame.EventName.ToArray()),
                    frame.HasData ? Encoding.UTF8.GetString(frame.Data.ToArray()) : null));
            }

            consumed += (int)(before - buffer.Length);
            if (status == DecodeStatus.FrameTooLarge || final)
            {
                return (events, status);
            }
        }
    }
}
