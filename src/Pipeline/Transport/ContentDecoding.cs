using System.IO.Compression;
using System.Net.Http.Headers;

namespace AkkaProxy.Pipeline.Transport;

/// <summary>
/// The relay asks upstreams for <c>identity</c>; one that compresses anyway is decoded here, before
/// the usage tap, and the client gets the plain bytes without <c>Content-Encoding</c>. Stacked codings
/// (<c>gzip, br</c>) are undone last-applied first. A coding the relay cannot decode is left alone:
/// the body passes as opaque bytes with its header, and its usage is unknown.
/// </summary>
internal static class ContentDecoding
{
    public static Stream Decode(Stream body, HttpContentHeaders headers, out ContentCoding coding)
    {
        string[] codings = headers.ContentEncoding.Where(c => !c.Equals("identity", StringComparison.OrdinalIgnoreCase)).ToArray();
        if (codings.Length == 0)
        {
            coding = ContentCoding.Identity;
            return body;
        }

        if (!codings.All(IsKnown))
        {
            coding = ContentCoding.Unknown;
            return body;
        }

        Stream decoded = body;
        for (int i = codings.Length - 1; i >= 0; i--)
        {
            decoded = codings[i].ToLowerInvariant() switch
            {
                "gzip" or "x-gzip" => new GZipStream(decoded, CompressionMode.Decompress),
                "br" => new BrotliStream(decoded, CompressionMode.Decompress),
                _ => new ZLibStream(decoded, CompressionMode.Decompress),
            };
        }

        coding = ContentCoding.Decoded;
        return decoded;
    }

    private static bool IsKnown(string coding) => coding.ToLowerInvariant() is "gzip" or "x-gzip" or "br" or "deflate";
}

/// <summary>What <see cref="ContentDecoding"/> did with a body.</summary>
internal enum ContentCoding
{
    /// <summary>Not encoded.</summary>
    Identity,

    /// <summary>Decoded: the client gets plain bytes.</summary>
    Decoded,

    /// <summary>Encoded with something the relay cannot decode: relayed as it is.</summary>
    Unknown,
}
