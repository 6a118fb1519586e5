using System.Buffers;
using System.IO.Pipelines;

namespace AkkaProxy.Pipeline.Pooling;

/// <summary>
/// Writes one socket message as the SSE event an HTTP upstream sends for it (protocol-notes §B):
/// <c>event: &lt;type&gt;\ndata: &lt;json&gt;\n\n</c>. A message without a type gets <c>data:</c> alone; a
/// message spread over lines (pretty-printed JSON) gets one <c>data:</c> line per line, which SSE joins back.
/// </summary>
internal static class SseFraming
{
    public static void Write(PipeWriter writer, in SocketEvent facts, ReadOnlySpan<byte> message)
    {
        if (facts.TypeLength > 0)
        {
            writer.Write("event: "u8);
            writer.Write(facts.Type(message));
            writer.Write("\n"u8);
        }

        while (true)
        {
            int newline = message.IndexOfAny((byte)'\r', (byte)'\n');
            writer.Write("data: "u8);
            if (newline < 0)
            {
                writer.Write(message);
                break;
            }

            writer.Write(message[..newline]);
            writer.Write("\n"u8);
            int skip = message[newline] == '\r' && newline + 1 < message.Length && message[newline + 1] == '\n' ? 2 : 1;
            message = message[(newline + skip)..];
        }

        writer.Write("\n\n"u8);
    }
}
