using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace AkkaProxy.Pipeline.Framing;

/// <summary>
/// Writes one message of AWS's binary event stream: the prelude with its CRC32, string headers, the
/// payload, the message's CRC32. The relay writes its own messages with it (the exception that ends a
/// Bedrock stream it cannot finish); the upstream's messages pass as they came.
/// </summary>
internal static class AwsEventStreamEncoder
{
    private const byte StringType = 7;

    /// <summary>A message with <paramref name="headers"/> (string values) and <paramref name="payload"/>.</summary>
    public static byte[] Encode(IReadOnlyList<KeyValuePair<string, string>> headers, ReadOnlySpan<byte> payload)
    {
        var headerBytes = new ArrayBufferWriter<byte>(128);
        foreach ((string name, string value) in headers)
        {
            byte[] nameBytes = Encoding.UTF8.GetBytes(name);
            byte[] valueBytes = Encoding.UTF8.GetBytes(value);
            if (nameBytes.Length is 0 or > byte.MaxValue || valueBytes.Length > short.MaxValue)
            {
                throw new ArgumentException($"Header '{name}' cannot be written: names take 1 to 255 bytes, values up to 32767.", nameof(headers));
            }

            Span<byte> head = headerBytes.GetSpan(nameBytes.Length + 4);
            head[0] = (byte)nameBytes.Length;
            nameBytes.CopyTo(head[1..]);
            head[1 + nameBytes.Length] = StringType;
            BinaryPrimitives.WriteInt16BigEndian(head[(2 + nameBytes.Length)..], (short)valueBytes.Length);
            headerBytes.Advance(nameBytes.Length + 4);
            headerBytes.Write(valueBytes);
        }

        int total = 12 + headerBytes.WrittenCount + payload.Length + 4;
        byte[] message = new byte[total];
        Span<byte> span = message;
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)total);
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], (uint)headerBytes.WrittenCount);
        BinaryPrimitives.WriteUInt32BigEndian(span[8..], Crc32.HashToUInt32(span[..8]));
        headerBytes.WrittenSpan.CopyTo(span[12..]);
        payload.CopyTo(span[(12 + headerBytes.WrittenCount)..]);
        BinaryPrimitives.WriteUInt32BigEndian(span[(total - 4)..], Crc32.HashToUInt32(span[..(total - 4)]));
        return message;
    }

    /// <summary>What went wrong, for an error message: the check that failed, in words.</summary>
    public static string Describe(EventStreamError error) => error switch
    {
        EventStreamError.PreludeCrc => "a message's prelude failed its CRC32",
        EventStreamError.MessageCrc => "a message failed its CRC32",
        EventStreamError.Malformed => "a message's lengths or headers do not read",
        EventStreamError.Truncated => "the stream ended inside a message",
        _ => "it does not read",
    };
}
