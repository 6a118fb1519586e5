using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;

namespace AkkaProxy.Host.Tests.Relay;

/// <summary>Request bodies sent with <c>Content-Encoding</c> (Codex can send zstd): decoded, bounded after decoding, forwarded plain.</summary>
public sealed class CompressedRequestTests : RelayTestBase
{
    private const int Limit = 64 * 1024;

    protected override string ExtraHocon => "akkaproxy.pipeline.max-request-body-bytes = 64KiB";

    private static readonly string Chat = """{"model":"openai/gpt-4o","messages":[{"role":"user","content":"compressed hello"}]}""";

    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    [InlineData("zstd")]
    [InlineData("deflate")]
    [InlineData("gzip, br")] // stacked: gzip applied first, br last; undone br first
    [InlineData("identity")]
    public async Task AnEncodedBody_IsDecoded_AndTheUpstreamGetsItPlain(string coding)
    {
        using HttpResponseMessage response = await Relay.Http.SendAsync(Encoded(Encoding.UTF8.GetBytes(Chat), coding));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forwarded = Assert.Single(Upstream.Requests);
        using JsonDocument body = JsonDocument.Parse(forwarded.Body);
        Assert.Equal("gpt-4o", body.RootElement.GetProperty("model").GetString()); // read, routed and rewritten: the relay saw the plain body
        Assert.Equal("compressed hello", body.RootElement.GetProperty("messages")[0].GetProperty("content").GetString());
        Assert.DoesNotContain(forwarded.Headers.Keys, k => k.Equals("Content-Encoding", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(ExchangeOutcome.Completed, (await Relay.Billing.SingleForAsync("openai/gpt-4o")).Outcome);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    [InlineData("zstd")]
    public async Task ADecompressionBomb_Gets413_AndNothingGoesUpstream(string coding)
    {
        // 8 MiB of spaces inside the JSON: a few KiB compressed, 128 times the limit decoded.
        byte[] bomb = Encoding.UTF8.GetBytes("{\"model\":\"openai/gpt-4o\",\"messages\":[]" + new string(' ', 8 * 1024 * 1024) + "}");
        HttpRequestMessage request = Encoded(bomb, coding);
        Assert.True(request.Content!.Headers.ContentLength < Limit, "the compressed bomb is under the limit");

        using HttpResponseMessage response = await Relay.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains($"decoded from {coding}", await ErrorMessageAsync(response));
        Assert.Empty(Upstream.Requests);
        BillingRecord record = await Relay.Billing.WaitForAsync(r => r.ErrorCode == "request_too_large");
        Assert.Equal(ExchangeOutcome.Rejected, record.Outcome);
    }

    [Fact]
    public async Task AnUnknownCoding_Gets415_NamingTheOnesTheRelayDecodes()
    {
        HttpRequestMessage request = Post("/v1/chat/completions", Chat);
        request.Content!.Headers.ContentEncoding.Add("compress");

        using HttpResponseMessage response = await Relay.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("'compress'", await ErrorMessageAsync(response));
        Assert.Equal("gzip, br, zstd, deflate", string.Join(", ", response.Headers.GetValues("Accept-Encoding")));
        Assert.Empty(Upstream.Requests);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("zstd")]
    [InlineData("br")]
    public async Task ABodyThatIsNotItsCoding_Gets400(string coding)
    {
        HttpRequestMessage request = Post("/v1/chat/completions", Chat); // plain JSON, labelled compressed
        request.Content!.Headers.ContentEncoding.Add(coding);

        using HttpResponseMessage response = await Relay.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"not valid {coding} data", await ErrorMessageAsync(response));
        Assert.Empty(Upstream.Requests);
    }

    private static HttpRequestMessage Encoded(byte[] plain, string codings)
    {
        byte[] body = plain;
        foreach (string coding in codings.Split(',', StringSplitOptions.TrimEntries))
        {
            body = Compress(body, coding);
        }

        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        foreach (string coding in codings.Split(',', StringSplitOptions.TrimEntries))
        {
            content.Headers.ContentEncoding.Add(coding);
        }

        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = content };
        request.Headers.Authorization = new("Bearer", RelayTestHost.RelayKey);
        return request;
    }

    private static byte[] Compress(byte[] data, string coding)
    {
        if (coding == "zstd")
        {
            using var compressor = new ZstdSharp.Compressor();
            return compressor.Wrap(data).ToArray();
        }

        if (coding == "identity")
        {
            return data;
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

    private static async Task<string> ErrorMessageAsync(HttpResponseMessage response)
    {
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("error").GetProperty("message").GetString()!;
    }
}
