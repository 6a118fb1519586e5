using System.Buffers;
using AkkaProxy.Pipeline.Stages;

namespace AkkaProxy.Pipeline.Framing;

/// <summary>
/// Splits a Server-Sent Events byte stream into events without changing a byte
/// (WHATWG HTML §9.2.6): lines end in CRLF, LF or CR; a blank line ends an event; <c>:</c> starts a
/// comment; <c>data:</c> may or may not be followed by one space, which is not part of the value;
/// several <c>data:</c> lines join with <c>\n</c>; a last event with no blank line is still an event
/// when the stream ends.
/// </summary>
/// <remarks>
/// Per run. It remembers how far it has scanned, so bytes trickling in one at a time are scanned
/// once. The caller must pass the same unconsumed buffer back (plus new bytes) after
/// <see cref="DecodeStatus.NeedMoreData"/>, as a <see cref="System.IO.Pipelines.PipeReader"/> does.
/// </remarks>
internal sealed class SseFrameDecoder
{
    private static ReadOnlySpan<byte> LineEnds => "\r\n"u8;

    private readonly long _maxEventBytes;
    private ArrayBufferWriter<byte>? _joined;
    private long _scanned;
    private long _searchedTo;
    private long _eventNameStart;
    private long _eventNameLength;
    private long _dataStart;
    private long _dataLength;
    private int _dataLines;

    public SseFrameDecoder(long maxEventBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEventBytes, 16);
        _maxEventBytes = maxEventBytes;
    }

    /// <summary>Reads the next event from the start of <paramref name="buffer"/>.</summary>
    /// <param name="buffer">Unconsumed bytes; on <see cref="DecodeStatus.Frame"/> it is advanced past the event.</param>
    /// <param name="isFinalBlock">True when no more bytes will come: what is left forms a last event.</param>
    /// <param name="frame">The event, valid until the next call.</param>
    public DecodeStatus TryRead(ref ReadOnlySequence<byte> buffer, bool isFinalBlock, out ResponseFrame frame)
    {
        frame = default;
        var reader = new SequenceReader<byte>(buffer);
        reader.Advance(_scanned);
        while (true)
        {
            long lineStart = reader.Consumed;
            long lineEnd;
            long next;
            if (_searchedTo > lineStart)
            {
                // A long line arriving in pieces: continue the search where the last read stopped.
                reader.Advance(_searchedTo - lineStart);
            }

            if (reader.TryAdvanceToAny(LineEnds, advancePastDelimiter: false))
            {
                lineEnd = reader.Consumed;
                reader.TryRead(out byte delimiter);
                if (delimiter == (byte)'\r')
                {
                    if (reader.End && !isFinalBlock)
                    {
                        // A CR at the end of what we have may be the first half of CRLF.
                        _searchedTo = lineEnd;
                        return NeedMore(buffer, lineStart);
                    }

                    if (reader.IsNext((byte)'\n', advancePast: true))
                    {
                        // CRLF: both bytes belong to this line's terminator.
                    }
                }

                next = reader.Consumed;
            }
            else if (isFinalBlock && buffer.Length > lineStart)
            {
                lineEnd = next = buffer.Length;
                reader.AdvanceToEnd();
            }
            else if (isFinalBlock && lineStart > 0)
            {
                return Emit(ref buffer, buffer.Length, out frame);
            }
            else
            {
                _searchedTo = buffer.Length;
                return NeedMore(buffer, lineStart);
            }

            _searchedTo = 0;
            if (lineEnd == lineStart)
            {
                return Emit(ref buffer, next, out frame);
            }

            ReadLine(buffer, lineStart, lineEnd - lineStart);
            _scanned = next;
            if (next > _maxEventBytes)
            {
                return DecodeStatus.FrameTooLarge;
            }
        }
    }

    private DecodeStatus NeedMore(in ReadOnlySequence<byte> buffer, long scanned)
    {
        _scanned = scanned;
        return buffer.Length > _maxEventBytes ? DecodeStatus.FrameTooLarge : DecodeStatus.NeedMoreData;
    }

    private DecodeStatus Emit(ref ReadOnlySequence<byte> buffer, long length, out ResponseFrame frame)
    {
        if (length > _maxEventBytes)
        {
            frame = default;
            return DecodeStatus.FrameTooLarge;
        }

        ReadOnlySequence<byte> raw = buffer.Slice(0, length);
        ReadOnlySequence<byte> eventName = raw.Slice(_eventNameStart, _eventNameLength);
        ReadOnlySequence<byte> data = _dataLines switch
        {
            0 => default,
            1 => raw.Slice(_dataStart, _dataLength),
            _ => new ReadOnlySequence<byte>(_joined!.WrittenMemory),
        };
        frame = new ResponseFrame(FrameKind.SseEvent, raw, eventName, data, _dataLines > 0);
        buffer = buffer.Slice(length);
        _scanned = 0;
        _searchedTo = 0;
        _eventNameStart = _eventNameLength = 0;
        _dataStart = _dataLength = 0;
        _dataLines = 0;
        return DecodeStatus.Frame;
    }

    private void ReadLine(in ReadOnlySequence<byte> buffer, long start, long length)
    {
        ReadOnlySequence<byte> line = buffer.Slice(start, length);
        SequencePosition? colon = line.PositionOf((byte)':');
        long nameLength = colon is null ? length : line.Slice(0, colon.Value).Length;
        if (nameLength == 0)
        {
            return; // a comment
        }

        long valueStart = colon is null ? length : nameLength + 1;
        if (valueStart < length && line.Slice(valueStart, 1).FirstSpan[0] == (byte)' ')
        {
            valueStart++;
        }

        ReadOnlySequence<byte> name = line.Slice(0, nameLength);
        if (ByteSequences.IsExactly(name, "data"u8))
        {
            AddData(buffer, start + valueStart, length - valueStart);
        }
        else if (ByteSequences.IsExactly(name, "event"u8))
        {
            _eventNameStart = start + valueStart;
            _eventNameLength = length - valueStart;
        }
    }

    private void AddData(in ReadOnlySequence<byte> buffer, long start, long length)
    {
        if (_dataLines == 0)
        {
            _dataStart = start;
            _dataLength = length;
        }
        else
        {
            _joined ??= new ArrayBufferWriter<byte>(256);
            if (_dataLines == 1)
            {
                _joined.ResetWrittenCount();
                Append(buffer.Slice(_dataStart, _dataLength));
            }

            _joined.Write("\n"u8);
            Append(buffer.Slice(start, length));
        }

        _dataLines++;
    }

    private void Append(in ReadOnlySequence<byte> bytes)
    {
        foreach (ReadOnlyMemory<byte> segment in bytes)
        {
            _joined!.Write(segment.Span);
        }
    }
}
