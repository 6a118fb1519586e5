using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Transport;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Host.Tests.Providers;

/// <summary>
/// The relay's Bedrock signature against AWS's own signer (@smithy/signature-v4, what AWS's SDKs for
/// JavaScript sign with), not against itself: model ids with ':' and an inference profile's ARN with
/// '/', with and without a session token. The Authorization headers must be equal to the character.
/// </summary>
public sealed class SigV4AgreementTests
{
    [Fact]
    public async Task TheRelaysSignature_IsAwssSignersSignature_ForBedrocksPaths()
    {
        string[] models =
        [
            "anthropic.claude-3-5-haiku-20241022-v1:0",
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-7-sonnet-20250219-v1:0",
            "amazon.nova-pro-v1:0",
        ];
        (string Model, ApiKind Api, bool Streaming, string? Token)[] cases =
        [
            (models[0], ApiKind.BedrockConverse, true, "session-token/with+odd=chars"),
            (models[1], ApiKind.BedrockInvoke, false, null),
            (models[2], ApiKind.BedrockInvoke, true, "another-token"),
        ];
        var at = new DateTimeOffset(2026, 12, 7, 11, 22, 33, TimeSpan.Zero);
        byte[] body = Encoding.UTF8.GetBytes("""{"messages":[{"role":"user","content":[{"text":"héllo"}]}]}""");

        var relay = new List<string>();
        var input = new List<object>();
        foreach ((string model, ApiKind api, bool streaming, string? token) in cases)
        {
            var environment = new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = "AKIDEXAMPLE", ["AWS_SECRET_ACCESS_KEY"] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
            if (token is not null)
            {
                environment["AWS_SESSION_TOKEN"] = token;
            }

            var router = new ModelRouter(new RoutingOptions { Providers = { new ProviderOptions { Name = "b", Kind = ProviderKind.Bedrock, BaseUrl = "https://bedrock-runtime.us-east-1.amazonaws.com" } } }, environment.GetValueOrDefault);
            Assert.True(router.TryGetProvider("b", out Provider provider));
            using var request = new HttpRequestMessage(HttpMethod.Post, UpstreamUris.For(provider, api, model, null, streaming)) { Content = new ReadOnlyMemoryContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            BedrockSigning.Sign(request, provider, body, at);
            relay.Add(request.Headers.GetValues("Authorization").Single());
            input.Add(new
            {
                method = "POST", host = request.RequestUri!.Host, path = request.RequestUri.AbsolutePath, contentType = "application/json",
                body = Encoding.UTF8.GetString(body), date = at.ToString("O"), region = "us-east-1",
                accessKeyId = "AKIDEXAMPLE", secretAccessKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken = token,
            });
        }

        JsonElement[] aws = await NodeScript.RunAsync("sigv4-sign.mjs", new Dictionary<string, string> { ["SIGV4_CASES"] = JsonSerializer.Serialize(input) });

        Assert.Equal(cases.Length, aws.Length);
        Assert.Contains("%3A", aws[0].GetProperty("path").GetString(), StringComparison.Ordinal);
        Assert.Contains("%2F", aws[1].GetProperty("path").GetString(), StringComparison.Ordinal); // the ARN's '/' stays inside its segment
        for (int i = 0; i < cases.Length; i++)
        {
            Assert.Equal(aws[i].GetProperty("authorization").GetString(), relay[i]);
        }
    }
}
