using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Transport;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Tests.Transport;

/// <summary>Bedrock's paths both ways, its provider's region and credentials, the signature on the request as sent, and errors in AWS's shapes.</summary>
public sealed class BedrockTransportTests
{
    [Theory]
    [InlineData("/model/bedrock/anthropic.claude-3-haiku-20240307-v1:0/converse", "bedrock/anthropic.claude-3-haiku-20240307-v1:0", ApiKind.BedrockConverse, false)]
    [InlineData("/model/bedrock%2Fanthropic.claude-3-haiku-20240307-v1:0/converse-stream", "bedrock/anthropic.claude-3-haiku-20240307-v1:0", ApiKind.BedrockConverse, true)]
    [InlineData("/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke", "anthropic.claude-3-haiku-20240307-v1:0", ApiKind.BedrockInvoke, false)]
    [InlineData("/model/arn:aws:bedrock:us-east-1:123456789012:inference-profile%2Fus.anthropic.claude-3-5-haiku-20241022-v1:0/invoke-with-response-stream", "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0", ApiKind.BedrockInvoke, true)]
    public void ARuntimePath_NamesItsModelAndOperation(string path, string model, ApiKind api, bool streaming)
    {
        Assert.True(BedrockPaths.TryParse(path, out string parsed, out ApiKind parsedApi, out bool parsedStreaming));
        Assert.Equal(model, parsed);
        Assert.Equal(api, parsedApi);
        Assert.Equal(streaming, parsedStreaming);
        Assert.Equal(api, BedrockPaths.ApiOf(path));
    }

    [Theory]
    [InlineData("/model/anthropic.claude-v2/converse-streams")]
    [InlineData("/model/converse")]
    [InlineData("/model//converse")]
    [InlineData("/models/anthropic.claude-v2/converse")]
    public void OtherPaths_AreNoRuntimePath(string path) => Assert.False(BedrockPaths.TryParse(path, out _, out _, out _));

    [Theory]
    [InlineData(ApiKind.BedrockConverse, false, "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse")]
    [InlineData(ApiKind.BedrockConverse, true, "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream")]
    [InlineData(ApiKind.BedrockInvoke, false, "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke")]
    [InlineData(ApiKind.BedrockInvoke, true, "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke-with-response-stream")]
    public void TheUpstreamUrl_CarriesTheModelIdAsOneEncodedSegment_AndNoQuery(ApiKind api, bool streaming, string path)
    {
        Provider bedrock = Bedrock(out _);
        Uri uri = UpstreamUris.For(bedrock, api, "anthropic.claude-3-haiku-20240307-v1:0", "?x=1", streaming);
        Assert.Equal("https://bedrock-runtime.eu-west-3.amazonaws.com" + path, uri.AbsoluteUri);
    }

    [Fact]
    public void TheRegion_ComesFromTheEndpoint_WhenNotSet_AndIsRequiredOtherwise()
    {
        Assert.Equal("eu-west-3", Bedrock(out _).Region);
        var ex = Assert.Throws<ArgumentException>(() => new ModelRouter(new RoutingOptions
        {
            Providers = { new ProviderOptions { Name = "b", Kind = ProviderKind.Bedrock, BaseUrl = "http://127.0.0.1:9" } },
        }));
        Assert.Contains("region", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Credentials_ComeFromTheEnvironment_AnApiKeyWins_AndNeitherIsAMissingKey()
    {
        Provider signed = Bedrock(out _);
        Assert.False(signed.IsMissingKey);
        Assert.Equal("AKIDEXAMPLE", signed.AwsCredentials!.AccessKeyId);
        Assert.DoesNotContain("wJalr", signed.AwsCredentials.ToString(), StringComparison.Ordinal);

        Provider keyed = Bedrock(out _, new Dictionary<string, string> { ["AWS_BEARER_TOKEN_BEDROCK"] = "bedrock-api-key" });
        Assert.Equal("bedrock-api-key", keyed.ApiKey);

        Provider none = Bedrock(out _, environment: []);
        Assert.True(none.IsMissingKey);
        Assert.Contains("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", none.MissingKeyHint, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSignature_CoversTheModelIdEncodedTwice_TheBodyAndTheSessionToken()
    {
        Provider bedrock = Bedrock(out _);
        byte[] body = Encoding.UTF8.GetBytes("""{"messages":[{"role":"user","content":[{"text":"Hi"}]}]}""");
        using var request = new HttpRequestMessage(HttpMethod.Post, UpstreamUris.For(bedrock, ApiKind.BedrockConverse, "anthropic.claude-3-haiku-20240307-v1:0", null))
        {
            Content = new ReadOnlyMemoryContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var at = new DateTimeOffset(2026, 12, 7, 10, 0, 0, TimeSpan.Zero);

        BedrockSigning.Sign(request, bedrock, body, at);

        string authorization = request.Headers.GetValues("Authorization").Single();
        Assert.StartsWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261207/eu-west-3/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=", authorization, StringComparison.Ordinal);
        Assert.Equal("20261207T100000Z", request.Headers.GetValues("X-Amz-Date").Single());
        Assert.Equal("session-token", request.Headers.GetValues("X-Amz-Security-Token").Single());

        // The server's check, from the request as it goes on the wire: the same canonical request gives the same signature.
        var wire = new SigV4Request("POST", request.RequestUri!.AbsolutePath, "", [new("host", request.RequestUri.Authority), new("content-type", "application/json")], body);
        SigV4Result expected = SigV4Signer.Sign(wire, bedrock.AwsCredentials!, "eu-west-3", "bedrock", at, new SigV4Options(Normalize: true, SignBody: false));
        Assert.Equal("/model/anthropic.claude-3-haiku-20240307-v1%253A0/converse", expected.CanonicalRequest.Split('\n')[1]);
        Assert.EndsWith("Signature=" + expected.Signature, authorization, StringComparison.Ordinal);
        Assert.EndsWith(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(body)), expected.CanonicalRequest, StringComparison.Ordinal); // the body signed through its hash

        using var keyed = new HttpRequestMessage(HttpMethod.Post, request.RequestUri);
        BedrockSigning.Sign(keyed, Bedrock(out _, new Dictionary<string, string> { ["AWS_BEARER_TOKEN_BEDROCK"] = "k" }), body, at);
        Assert.False(keyed.Headers.Contains("Authorization")); // a Bedrock API key goes as Bearer (ProviderCredentials), unsigned
    }

    [Fact]
    public void ARefusal_IsAwsJson_WithTheExceptionsName()
    {
        using JsonDocument body = JsonDocument.Parse(ErrorBodies.Json(ApiKind.BedrockConverse, "invalid_request_error", "model_not_found", "No such model.", 400));
        Assert.Equal("ValidationException", body.RootElement.GetProperty("__type").GetString());
        Assert.Equal("No such model.", body.RootElement.GetProperty("message").GetString());
        Assert.Equal("model_not_found", body.RootElement.GetProperty("reason").GetString());
        Assert.False(body.RootElement.TryGetProperty("code", out _)); // AWS's SDKs would take a "code" for the exception's name

        using JsonDocument throttled = JsonDocument.Parse(ErrorBodies.Json(ApiKind.BedrockInvoke, "rate_limit_error", "rate_limit_exceeded", "Slow down.", 429));
        Assert.Equal("ThrottlingException", throttled.RootElement.GetProperty("__type").GetString());
    }

    private static Provider Bedrock(out ModelRouter router, Dictionary<string, string>? environment = null)
    {
        environment ??= new Dictionary<string, string>
        {
            ["AWS_ACCESS_KEY_ID"] = "AKIDEXAMPLE",
            ["AWS_SECRET_ACCESS_KEY"] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            ["AWS_SESSION_TOKEN"] = "session-token",
        };
        var options = new RoutingOptions
        {
            Providers = { new ProviderOptions { Name = "bedrock", Kind = ProviderKind.Bedrock, BaseUrl = "https://bedrock-runtime.eu-west-3.amazonaws.com", ApiKeyEnv = "AWS_BEARER_TOKEN_BEDROCK" } },
        };
        router = new ModelRouter(options, name => environment.GetValueOrDefault(name));
        Assert.True(router.TryGetProvider("bedrock", out Provider provider));
        return provider;
    }
}
