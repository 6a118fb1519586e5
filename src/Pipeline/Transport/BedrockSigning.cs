using System.Net.Http.Headers;
using AkkaProxy.Pipeline.Routing;

namespace AkkaProxy.Pipeline.Transport;

/// <summary>
/// Signs a request to Bedrock's runtime with AWS Signature Version 4 (service <c>bedrock</c>) from the
/// provider's credentials. Signed: <c>host</c>, <c>content-type</c>, <c>x-amz-date</c> and the
/// session token (the body through its hash in the canonical request); the client's other headers travel unsigned, so
/// nothing a client adds can break the signature.
/// </summary>
internal static class BedrockSigning
{
    public const string Service = "bedrock";

    /// <summary>Adds the signature headers to <paramref name="request"/> (whose body is <paramref name="body"/>); does nothing for a provider that uses an API key.</summary>
    public static void Sign(HttpRequestMessage request, Provider provider, ReadOnlyMemory<byte> body, DateTimeOffset now)
    {
        if (provider.Kind != ProviderKind.Bedrock || provider.ApiKey is not null || provider.AwsCredentials is not { } credentials)
        {
            return;
        }

        Uri uri = request.RequestUri!;
        var signed = new List<KeyValuePair<string, string>>(2) { new("host", uri.Authority) };
        if (request.Content?.Headers.ContentType is MediaTypeHeaderValue type)
        {
            signed.Add(new("content-type", type.ToString()));
        }

        var input = new SigV4Request(request.Method.Method, uri.AbsolutePath, uri.Query, signed, body);
        // As AWS's SDKs sign for Bedrock: the path normalised, the body's hash in the canonical request only (no x-amz-content-sha256, which is S3's).
        SigV4Result result = SigV4Signer.Sign(input, credentials, provider.Region!, Service, now, new SigV4Options(Normalize: true, SignBody: false));
        foreach ((string name, string value) in result.Headers)
        {
            request.Headers.Remove(name);
            request.Headers.TryAddWithoutValidation(name, value);
        }
    }
}
