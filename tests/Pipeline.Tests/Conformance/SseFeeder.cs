using System.Buffers;
using AkkaProxy.Pipeline.Framing;
using AkkaProxy.Pipeline.Stages;

namespace AkkaProxy.Pipeline.Tests.Conformance;

/// <summary>
/// Feeds bytes to an <see cref="SseFrameDecoder"/> the way <c>ProxyRun.PumpAsync</c> does: reads of
/// <c>readSize</c> bytes, the unconsumed rest handed back with each new read, then one final read.
/// </summary>
internal static class SseFeeder
{
    /// <summary>Decodes <paramref name="input"/> and calls <paramref name="onFrame"/> for every frame, in order.</summary>
    /// <exception cref="InvalidOperationException">An event exceeds the decoder's maximum.</exception>
    public static void Feed(byte[] input, int readSize, long maxEventBytes, Action<ResponseFrame> onFrame)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(readSize, 1);
        var decoder = new SseFrameDecoder(maxEventBytes);
        int received = 0;
        bool completed = false;
        var buffer = ReadOnlySequence<byte>.Empty;
        while (true)
        {
            switch (decoder.TryRead(ref buffer, completed, out ResponseFrame frame))
            {
                case DecodeStatus.Frame:
                    onFrame(frame);
                    continue;
                case DecodeStatus.FrameTooLarge:
                    throw new InvalidOperationException("An event exceeded the decoder's maximum size.");
            }

            if (completed)
            {
                return;
            }

            // The next read: more bytes, or, once all are in, the read that reports the end with none.
            int start = received - (int)buffer.Length;
            if (received == input.Length)
            {
                completed = true;
            }
            else
            {
                received = Math.Min(received + readSize, input.Length);
            }

            buffer = new ReadOnlySequence<byte>(input, start, received - start);
        }
    }
}
