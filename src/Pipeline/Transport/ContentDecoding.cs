using System.IO.Compression;
using System.Net.Http.Headers;

namespace AkkaProxy.Pipeline.Transport;

/// <summary>
/// The relay asks upstreams for <c>identity</c>; one that compresses anyway is decoded here, before
/// the usage tap, and the client gets the plain bytes without <c>Content-Encoding</c>.
/// </summary>
internal static class ContentDecoding
{
    /// <summary>Wraps <paramref name="body"/> in a decoder when <paramref name="headers"/> say it is compressed.</summary>
    public static Stream Decode(Stream body, HttpContentHeaders headers, out bool decoded)
    {
        decoded = true;
        string? encoding = headers.ContentEncoding.LastOrDefault();
        switch (encoding?.ToLowerInvariant())
        {
            case "gzip":
            case "x-gzip":
                return new GZipStream(body, CompressionMode.Decompress);
            case "br":
                return new BrotliStream(body, CompressionMode.Decompress);
            case "deflate":
                return new ZLibStream(body, CompressionMode.Decompress);
            default:
                decoded = false;
                return body;
        }
    }
}
