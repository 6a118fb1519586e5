using System.IO.Compression;
using System.Text;
using AkkaProxy.Pipeline.Transport;

namespace AkkaProxy.Pipeline.Tests.Transport;

public sealed class ContentDecodingTests
{
    private static readonly byte[] Plain = Encoding.UTF8.GetBytes("{\"usage\":{\"prompt_tokens\":1}}");

    [Fact]
    public void StackedCodings_AreUndoneLastAppliedFirst()
    {
        byte[] encoded = Compress(Compress(Plain, s => new GZipStream(s, CompressionLevel.Fastest)), s => new BrotliStream(s, CompressionLevel.Fastest));
        using var content = new ByteArrayContent(encoded);
        content.Headers.ContentEncoding.Add("gzip");
        content.Headers.ContentEncoding.Add("br");

        using Stream decoded = ContentDecoding.Decode(new MemoryStream(encoded), content.Headers, out ContentCoding coding);

        Assert.Equal(ContentCoding.Decoded, coding);
        Assert.Equal(Plain, ReadAll(decoded));
    }

    [Theory]
    [InlineData("zstd")]
    [InlineData("gzip, zstd")]
    public void UnknownCoding_IsLeftAlone(string codings)
    {
        using var content = new ByteArrayContent(Plain);
        foreach (string c in codings.Split(", "))
        {
            content.Headers.ContentEncoding.Add(c);
        }

        using Stream body = ContentDecoding.Decode(new MemoryStream(Plain), content.Headers, out ContentCoding coding);

        Assert.Equal(ContentCoding.Unknown, coding);
        Assert.Equal(Plain, ReadAll(body));
    }

    [Fact]
    public void Identity_IsNotTouched()
    {
        using var content = new ByteArrayContent(Plain);
        content.Headers.ContentEncoding.Add("identity");

        ContentDecoding.Decode(new MemoryStream(Plain), content.Headers, out ContentCoding coding);

        Assert.Equal(ContentCoding.Identity, coding);
    }

    private static byte[] Compress(byte[] data, Func<Stream, Stream> wrap)
    {
        var output = new MemoryStream();
        using (Stream compressor = wrap(output))
        {
            compressor.Write(data);
        }

        return output.ToArray();
    }

    private static byte[] ReadAll(Stream stream)
    {
        var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
