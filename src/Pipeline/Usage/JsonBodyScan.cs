using System.Buffers;
using System.Text.Json;

namespace AkkaProxy.Pipeline.Usage;

/// <summary>
/// Reads a non-streaming JSON body for usage as it passes, chunk by chunk, without holding the body:
/// only a token split across chunks is carried over, bounded by the maximum frame size.
/// </summary>
internal sealed class JsonBodyScan(long maxCarryBytes) : IDisposable
{
    private const int QuoteFreeRescanLimit = 4096;

    private byte[]? _carry;
    private int _carryLength;
    private bool _started;

    /// <summary>True once the body proved unreadable (not JSON, or a token over the limit).</summary>
    public bool Failed { get; private set; }

    public void Feed(in ReadOnlySequence<byte> chunk, JsonEventScanner scanner)
    {
        if (Failed)
        {
            return;
        }

        if (!_started)
        {
            scanner.Reset();
            _started = true;
        }

        try
        {
            if (_carryLength == 0)
            {
                var reader = new Utf8JsonReader(chunk, isFinalBlock: false, scanner.ReaderState);
                scanner.Scan(ref reader);
                Keep(chunk.Slice(reader.BytesConsumed));
            }
            else
            {
                Keep(chunk);
                if (Failed || (_carryLength > QuoteFreeRescanLimit && chunk.PositionOf((byte)'"') is null))
                {
                    // A long carried token is a string, and a string can end only at a quote: reading the
                    // carry again before one arrives would make a huge token cost quadratic time.
                    return;
                }

                var reader = new Utf8JsonReader(_carry.AsSpan(0, _carryLength), isFinalBlock: false, scanner.ReaderState);
                scanner.Scan(ref reader);
                int consumed = (int)reader.BytesConsumed;
                _carry.AsSpan(consumed, _carryLength - consumed).CopyTo(_carry);
                _carryLength -= consumed;
            }
        }
        catch (JsonException)
        {
            Failed = true;
        }
    }

    /// <summary>Ends the body and says whether it was one complete JSON document.</summary>
    public BodyScanResult Finish(JsonEventScanner scanner)
    {
        if (Failed || !_started)
        {
            return Result = BodyScanResult.NotJson;
        }

        if (_carryLength > 0)
        {
            // What is left was waiting for more bytes; none will come, so read it as the final block.
            try
            {
                var reader = new Utf8JsonReader(_carry.AsSpan(0, _carryLength), isFinalBlock: true, scanner.ReaderState);
                scanner.Scan(ref reader);
            }
            catch (JsonException)
            {
                return Result = scanner.RootClosed ? BodyScanResult.NotJson : BodyScanResult.Truncated;
            }
        }

        return Result = scanner.RootClosed ? BodyScanResult.Complete : BodyScanResult.Truncated;
    }

    /// <summary>What <see cref="Finish"/> found.</summary>
    public BodyScanResult Result { get; private set; }

    public void Dispose()
    {
        if (_carry is not null)
        {
            ArrayPool<byte>.Shared.Return(_carry);
            _carry = null;
        }
    }

    private void Keep(in ReadOnlySequence<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }

        long needed = _carryLength + bytes.Length;
        if (needed > maxCarryBytes)
        {
            Failed = true;
            return;
        }

        if (_carry is null || _carry.Length < needed)
        {
            byte[] larger = ArrayPool<byte>.Shared.Rent((int)Math.Max(needed, 4096));
            _carry?.AsSpan(0, _carryLength).CopyTo(larger);
            if (_carry is not null)
            {
                ArrayPool<byte>.Shared.Return(_carry);
            }

            _carry = larger;
        }

        bytes.CopyTo(_carry.AsSpan(_carryLength));
        _carryLength = (int)needed;
    }
}
