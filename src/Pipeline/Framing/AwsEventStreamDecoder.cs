using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;

namespace AkkaProxy.Pipeline.Framing;

/// <summary>One message of AWS's <c>application/vnd.amazon.eventstream</c> framing, as slices of the bytes read.</summary>
/// <param name="Raw">The whole message: prelude, headers, payload and CRC, exactly as it came.</param>
/// <param name="MessageType">The <c>:message-type</c> header: <c>event</c>, <c>exception</c> or <c>error</c>.</param>
/// <param name="EventType">The <c>:event-type</c> header of an event (<c>metadata</c>, <c>contentBlockDelta</c>, <c>chunk</c>, …), <c>:exception-type</c> of an exception, <c>:error-code</c> of an error.</param>
/// <param name="Payload">The payload (JSON for Bedrock's events).</param>
internal readonly record struct EventStreamMessage(ReadOnlySequence<byte> Raw, ReadOnlySequence<byte> MessageType, ReadOnlySequence<byte> EventType, ReadOnlySequence<byte> Payload)
{
    /// <summary>Whether it is an event (<c>:message-type</c> <c>event</c>, or none), not an exception or an error.</summary>
    public bool IsEvent => MessageType.IsEmpty || ByteSequences.IsExactly(MessageType, "event"u8);
}

/// <summary>Why an event stream could not be read on.</summary>
internal enum EventStreamError
{
    None = 0,

    /// <summary>The prelude's CRC32 does not match its first 8 bytes.</summary>
    PreludeCrc,

    /// <summary>The message's CRC32 does not match its bytes.</summary>
    MessageCrc,

    /// <summary>The lengths cannot be (a message shorter than its prelude and CRC, headers longer than the message) or a header does not read.</summary>
    Malformed,

    /// <summary>The stream ended inside a message.</summary>
    Truncated,
}

/// <summary>
/// Splits AWS's binary event stream (the framing of Bedrock's <c>ConverseStream</c> and
/// <c>InvokeModelWithResponseStream</c>) into messages without copying a byte. Each message is a
/// 12-byte prelude (total length, headers length, both big-endian uint32, then the CRC32 of those 8
/// bytes), the headers (a 1-byte name length, the name, a 1-byte type, the value), the payload, and
/// the CRC32 of everything before it. Both CRCs are checked: a message that fails one is not passed on,
/// and the stream cannot be read past it.
/// </summary>
/// <remarks>Per run; stateless between messages. The caller passes the unconsumed buffer back (plus new bytes) after <see cref="DecodeStatus.NeedMoreData"/>.</remarks>
internal sealed class AwsEventStreamDecoder
{
    private const int PreludeLength = 12;
    private const int CrcLength = 4;

    private readonly long _maxMessageBytes;
    private readonly Crc32 _crc = new(); // reused: a message's check allocates nothing

    public AwsEventStreamDecoder(long maxMessageBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessageBytes, PreludeLength + CrcLength);
        _maxMessageBytes = maxMessageBytes;
    }

    /// <summary>What made the last <see cref="TryRead"/> return <see cref="DecodeStatus.Corrupt"/>.</summary>
    public EventStreamError Error { get; private set; }

    /// <summary>Reads the next message from the start of <paramref name="buffer"/>.</summary>
    /// <param name="buffer">Unconsumed bytes; on <see cref="DecodeStatus.Frame"/> it is advanced past the message.</param>
    /// <param name="isFinalBlock">True when no more bytes will come: a message left unfinished is <see cref="EventStreamError.Truncated"/>.</param>
    /// <param name="message">The message, valid until the buffer is consumed.</param>
    public DecodeStatus TryRead(ref ReadOnlySequence<byte> buffer, bool isFinalBlock, out EventStreamMessage message)
    {
        message = default;
        if (buffer.Length < PreludeLength)
        {
            return Incomplete(buffer, isFinalBlock);
        }

        Span<byte> prelude = stackalloc byte[PreludeLength];
        buffer.Slice(0, PreludeLength).CopyTo(prelude);
        uint total = BinaryPrimitives.ReadUInt32BigEndian(prelude);
        uint headersLength = BinaryPrimitives.ReadUInt32BigEndian(prelude[4..]);
        if (Crc32.HashToUInt32(prelude[..8]) != BinaryPrimitives.ReadUInt32BigEndian(prelude[8..]))
        {
            return Corrupt(EventStreamError.PreludeCrc);
        }

        if (total < PreludeLength + CrcLength || headersLength > total - PreludeLength - CrcLength)
        {
            return Corrupt(EventStreamError.Malformed);
        }

        if (total > _maxMessageBytes)
        {
            return DecodeStatus.FrameTooLarge;
        }

        if (buffer.Length < total)
        {
            return Incomplete(buffer, isFinalBlock);
        }

        ReadOnlySequence<byte> raw = buffer.Slice(0, total);
        if (!MessageCrcMatches(raw))
        {
            return Corrupt(EventStreamError.MessageCrc);
        }

        ReadOnlySequence<byte> headers = raw.Slice(PreludeLength, headersLength);
        if (!TryReadHeaders(headers, out ReadOnlySequence<byte> messageType, out ReadOnlySequence<byte> eventType))
        {
            return Corrupt(EventStreamError.Malformed);
        }

        ReadOnlySequence<byte> payload = raw.Slice(PreludeLength + headersLength, total - PreludeLength - headersLength - CrcLength);
        message = new EventStreamMessage(raw, messageType, eventType, payload);
        buffer = buffer.Slice(total);
        Error = EventStreamError.None;
        return DecodeStatus.Frame;
    }

    private DecodeStatus Incomplete(in ReadOnlySequence<byte> buffer, bool isFinalBlock) =>
        isFinalBlock && !buffer.IsEmpty ? Corrupt(EventStreamError.Truncated) : DecodeStatus.NeedMoreData;

    private DecodeStatus Corrupt(EventStreamError error)
    {
        Error = error;
        return DecodeStatus.Corrupt;
    }

    private bool MessageCrcMatches(in ReadOnlySequence<byte> raw)
    {
        long covered = raw.Length - CrcLength;
        _crc.Reset();
        foreach (ReadOnlyMemory<byte> segment in raw.Slice(0, covered))
        {
            _crc.Append(segment.Span);
        }

        Span<byte> expected = stackalloc byte[CrcLength];
        raw.Slice(covered).CopyTo(expected);
        return _crc.GetCurrentHashAsUInt32() == BinaryPrimitives.ReadUInt32BigEndian(expected);
    }

    /// <summary>Walks the headers; keeps <c>:message-type</c> and <c>:event-type</c> (or <c>:exception-type</c>).</summary>
    private static bool TryReadHeaders(in ReadOnlySequence<byte> headers, out ReadOnlySequence<byte> messageType, out ReadOnlySequence<byte> eventType)
    {
        messageType = default;
        eventType = default;
        var reader = new SequenceReader<byte>(headers);
        while (!reader.End)
        {
            if (!reader.TryRead(out byte nameLength) || reader.Remaining < nameLength + 1)
            {
                return false;
            }

            ReadOnlySequence<byte> name = headers.Slice(reader.Position, nameLength);
            reader.Advance(nameLength);
            reader.TryRead(out byte type);
            long valueLength = type switch
            {
                0 or 1 => 0,          // bool true, bool false
                2 => 1,               // byte
                3 => 2,               // int16
                4 => 4,               // int32
                5 or 8 => 8,          // int64, timestamp
                9 => 16,              // uuid
                6 or 7 => -1,         // bytes, string: a 2-byte length first
                _ => -2,
            };
            if (valueLength == -2)
            {
                return false;
            }

            if (valueLength == -1)
            {
                if (!reader.TryReadBigEndian(out short length) || length < 0)
                {
                    return false;
                }

                valueLength = length;
            }

            if (reader.Remaining < valueLength)
            {
                return false;
            }

            ReadOnlySequence<byte> value = headers.Slice(reader.Position, valueLength);
            reader.Advance(valueLength);
            if (type == 7)
            {
                if (ByteSequences.IsExactly(name, ":message-type"u8))
                {
                    messageType = value;
                }
                else if (ByteSequences.IsExactly(name, ":event-type"u8) || ByteSequences.IsExactly(name, ":exception-type"u8) || ByteSequences.IsExactly(name, ":error-code"u8))
                {
                    eventType = value;
                }
            }
        }

        return true;
    }
}
