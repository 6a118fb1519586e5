using System.IO.Compression;
using System.Text;
using AkkaProxy.Pipeline.Transport;

namespace AkkaProxy.Pipeline.Tests.Transport;

public sealed class RequestDecodingTests
{
    private static readonly byte[] Plain = Encoding.UTF8.GetBytes("""{"model":"openai/gpt-4o","input":"a body long enough to be worth compressing, compressing, compressing"}""");

    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    [InlineData("zstd")]
    [InlineData("deflate")]
    public void AWholeBody_DecodesToThePlainBytes(string coding)
    {
        byte[] decoded = RequestDecoding.Decode(Compress(Plain, coding), coding, 1024, out RequestDecodeFailure failure, out _);

        Assert.Equal(RequestDecodeFailure.None, failure);
        Assert.Equal(Plain, decoded);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    [InlineData("zstd")]
    [InlineData("deflate")]
    public void ABodyCutShort_IsCorrupt_NotAShorterBody(string coding)
    {
        byte[] whole = Compress(Plain, coding);
        for (int cut = 1; cut < whole.Length; cut += Math.Max(1, whole.Length / 16))
        {
            RequestDecoding.Decode(whole[..cut], coding, 1024, out RequestDecodeFailure failure, out _);
            Assert.True(failure == RequestDecodeFailure.Corrupt, $"{coding} cut to {cut} of {whole.Length} bytes: {failure}");
        }
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    [InlineData("zstd")]
    public void OneBytePastTheLimit_IsTooLarge_AtTheLimit_Fits(string coding)
    {
        byte[] encoded = Compress(Plain, coding);

        RequestDecoding.Decode(encoded, coding, Plain.Length - 1, out RequestDecodeFailure over, out _);
        byte[] fits = RequestDecoding.Decode(encoded, coding, Plain.Length, out RequestDecodeFailure at, out _);

        Assert.Equal(RequestDecodeFailure.TooLarge, over);
        Assert.Equal(RequestDecodeFailure.None, at);
        Assert.Equal(Plain, fits);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("identity")]
    public void AnUnencodedBody_IsTheBodyItself(string? coding) =>
        Assert.Same(Plain, RequestDecoding.Decode(Plain, coding, 10, out _, out _));

    [Fact]
    public void AnUnknownCoding_IsNamed()
    {
        RequestDecoding.Decode(Plain, "gzip, compress", 1024, out RequestDecodeFailure failure, out string? coding);

        Assert.Equal((RequestDecodeFailure.Unsupported, "compress"), (failure, coding));
    }

    internal static byte[] Compress(byte[] data, string coding)
    {
        if (coding == "zstd")
        {
            using var compressor = new ZstdSharp.Compressor();
            return compressor.Wrap(data).ToArray();
        }

        using var output = new MemoryStream();
        using (Stream encoder = coding switch
        {
            "gzip" => new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true),
            "br" => new BrotliStream(output, CompressionLevel.Optimal, leaveOpen: true),
            _ => new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true),
        })
        {
            encoder.Write(data);
        }

        return output.ToArray();
    }
}
