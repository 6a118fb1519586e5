using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using ZstdSharp;

namespace AkkaProxy.Pipeline.Transport;

/// <summary>
/// Undoes a request body's <c>Content-Encoding</c> (<c>gzip</c>, <c>br</c>, <c>zstd</c>,
/// <c>deflate</c>; stacked codings last-applied first) before the relay reads the model, so a client
/// that compresses its uploads (Codex can send zstd) is relayed like any other; the upstream gets the
/// plain body. The body limit holds for the decoded bytes: decoding stops one byte past it, so a
/// small body that would inflate without end costs at most the limit. A body cut short is refused
/// as corrupt, never relayed shorter; a gzip body of several members is refused too (its trailer
/// covers only the last), which no HTTP client sends.
/// </summary>
internal static class RequestDecoding
{
    /// <summary>Decodes <paramref name="body"/> as <paramref name="contentEncoding"/> says.</summary>
    /// <returns>The decoded body, or the body itself when it is not encoded.</returns>
    public static byte[] Decode(byte[] body, string? contentEncoding, long maxBytes, out RequestDecodeFailure failure, out string? coding)
    {
        failure = RequestDecodeFailure.None;
        coding = null;
        if (string.IsNullOrWhiteSpace(contentEncoding))
        {
            return body;
        }

        string[] codings = contentEncoding.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(c => !c.Equals("identity", StringComparison.OrdinalIgnoreCase))
            .ToArray();
        if (codings.Length == 0)
        {
            return body;
        }

        if (codings.FirstOrDefault(c => !IsKnown(c)) is { } unknown)
        {
            failure = RequestDecodeFailure.Unsupported;
            coding = unknown;
            return body;
        }

        byte[] decoded = body;
        for (int i = codings.Length - 1; i >= 0; i--)
        {
            coding = codings[i];
            try
            {
                if (coding.Equals("br", StringComparison.OrdinalIgnoreCase))
                {
                    // BrotliDecoder says when the data ends early or is not Brotli; BrotliStream returns what it got, or throws anything.
                    (decoded, failure) = DecodeBrotli(decoded, maxBytes);
                    if (failure != RequestDecodeFailure.None)
                    {
                        return body;
                    }

                    continue;
                }

                using var input = new MemoryStream(decoded, writable: false);
                using Stream decoder = Decoder(coding, input);
                if (ReadBounded(decoder, maxBytes) is not byte[] next)
                {
                    failure = RequestDecodeFailure.TooLarge;
                    return body;
                }

                if (!EndsWhole(coding, decoded, next))
                {
                    failure = RequestDecodeFailure.Corrupt;
                    return body;
                }

                decoded = next;
            }
            catch (Exception ex) when (ex is InvalidDataException or ZstdException or IOException or InvalidOperationException or ArgumentException)
            {
                failure = RequestDecodeFailure.Corrupt;
                return body;
            }
        }

        return decoded;
    }

    /// <summary>The codings a request may use, as a client reads them in <c>Accept-Encoding</c> terms.</summary>
    public const string Supported = "gzip, br, zstd, deflate";

    private static bool IsKnown(string coding) => coding.ToLowerInvariant() is "gzip" or "x-gzip" or "br" or "zstd" or "deflate";

    private static Stream Decoder(string coding, Stream input) => coding.ToLowerInvariant() switch
    {
        "gzip" or "x-gzip" => new GZipStream(input, CompressionMode.Decompress),
        "br" => new BrotliStream(input, CompressionMode.Decompress),
        "zstd" => new DecompressionStream(input),
        _ => new ZLibStream(input, CompressionMode.Decompress), // HTTP's "deflate" is the zlib format (RFC 9110 §8.4.1.2)
    };

    /// <summary>
    /// Whether a gzip or zlib stream reached its end: their decoders stop without an error when the
    /// input ends early, so the trailer is checked against what was decoded (gzip: CRC-32 and length
    /// of a single member; zlib: Adler-32). zstd's decoder reports a cut frame itself.
    /// </summary>
    private static bool EndsWhole(string coding, byte[] encoded, byte[] decoded)
    {
        switch (coding.ToLowerInvariant())
        {
            case "gzip" or "x-gzip":
                return encoded.Length >= 18
                    && BinaryPrimitives.ReadUInt32LittleEndian(encoded.AsSpan(encoded.Length - 8)) == Crc32.HashToUInt32(decoded)
                    && BinaryPrimitives.ReadUInt32LittleEndian(encoded.AsSpan(encoded.Length - 4)) == (uint)decoded.Length;
            case "deflate":
                return encoded.Length >= 6 && BinaryPrimitives.ReadUInt32BigEndian(encoded.AsSpan(encoded.Length - 4)) == Adler32(decoded);
            default:
                return true;
        }
    }

    private static uint Adler32(ReadOnlySpan<byte> data)
    {
        const uint Modulus = 65521;
        uint a = 1, b = 0;
        while (!data.IsEmpty)
        {
            int run = Math.Min(data.Length, 5552); // the longest run whose sums cannot overflow before the modulus
            foreach (byte value in data[..run])
            {
                a += value;
                b += a;
            }

            a %= Modulus;
            b %= Modulus;
            data = data[run..];
        }

        return (b << 16) | a;
    }

    private static (byte[] Decoded, RequestDecodeFailure Failure) DecodeBrotli(byte[] encoded, long maxBytes)
    {
        using var decoder = new BrotliDecoder();
        using var output = new MemoryStream();
        byte[] buffer = new byte[16 * 1024];
        ReadOnlySpan<byte> input = encoded;
        while (true)
        {
            System.Buffers.OperationStatus status = decoder.Decompress(input, buffer, out int consumed, out int written);
            input = input[consumed..];
            if (output.Length + written > maxBytes)
            {
                return (encoded, RequestDecodeFailure.TooLarge);
            }

            output.Write(buffer, 0, written);
            switch (status)
            {
                case System.Buffers.OperationStatus.Done:
                    return input.IsEmpty ? (output.ToArray(), RequestDecodeFailure.None) : (encoded, RequestDecodeFailure.Corrupt); // bytes after the end
                case System.Buffers.OperationStatus.DestinationTooSmall:
                    continue;
                default:
                    return (encoded, RequestDecodeFailure.Corrupt); // InvalidData, or NeedMoreData: the input ended inside the stream
            }
        }
    }

    /// <summary>The whole decoded stream, or null once it passes <paramref name="maxBytes"/>.</summary>
    private static byte[]? ReadBounded(Stream decoder, long maxBytes)
    {
        using var output = new MemoryStream();
        byte[] buffer = new byte[16 * 1024];
        int read;
        while ((read = decoder.Read(buffer, 0, buffer.Length)) > 0)
        {
            if (output.Length + read > maxBytes)
            {
                return null;
            }

            output.Write(buffer, 0, read);
        }

        return output.ToArray();
    }
}

/// <summary>Why a request body could not be decoded.</summary>
internal enum RequestDecodeFailure
{
    /// <summary>Decoded, or not encoded.</summary>
    None,

    /// <summary>A coding the relay does not decode: 415.</summary>
    Unsupported,

    /// <summary>Not valid data of its coding: 400.</summary>
    Corrupt,

    /// <summary>Larger than the body limit once decoded: 413.</summary>
    TooLarge,
}
