using System.Net;
using System.Text;
using System.Text.Json;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Host.Tests.Providers;

/// <summary>
/// Azure OpenAI (<c>kind = azure-openai</c>) against a fake that serves Azure's paths: a client's
/// <c>azure/gpt-4o</c> goes to the deployment <c>gpt-4o</c> (with the provider's <c>api-version</c>), or
/// to the v1 surface when none is set; the key goes in <c>api-key</c>, never the relay key; usage is
/// read on every path as for OpenAI (the WebSocket mode included, on Azure's v1 surface), and priced
/// by the provider's own entry.
/// </summary>
public sealed class AzureOpenAITests : RelayTestBase
{
    private const string AzureKey = "azure-upstream-key-123";

    protected override string ExtraHocon => $$"""
        akkaproxy.routing.providers {
          azure { kind = azure-openai, base-url = "{{Upstream.BaseUrl.ToString().TrimEnd('/')}}/openai", api-key = "{{AzureKey}}", api-version = "2024-10-21", models = ["gpt-4o"] }
          azurev1 { kind = azure-openai, base-url = "{{Upstream.BaseUrl.ToString().TrimEnd('/')}}", api-key = "{{AzureKey}}" }
        }
        akkaproxy.pricing { "azure/gpt-4o" { input = 5.00, output = 20.00 } }
        """;

    [Fact]
    public async Task AStreamedChat_GoesToTheDeployment_WithTheApiVersionAndTheApiKey_AndIsBilledWithItsUsage()
    {
        using HttpResponseMessage response = await PostAsync("/v1/chat/completions?api-version=1999-01-01", """{"model":"azure/gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}""");
        string body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("data: [DONE]", body, StringComparison.Ordinal);

        RecordedRequest upstream = Upstream.LastRequest;
        Assert.Equal("/openai/deployments/gpt-4o/chat/completions", upstream.Path);
        Assert.Equal("?api-version=2024-10-21", upstream.Query); // the provider's version, not the client's
        Assert.Equal(AzureKey, upstream.Headers["api-key"]);
        Assert.False(upstream.Headers.ContainsKey("Authorization"));
        Assert.DoesNotContain(RelayTestHost.RelayKey, string.Join("\n", upstream.Headers.Values), StringComparison.Ordinal);
        using (JsonDocument sent = JsonDocument.Parse(upstream.Body))
        {
            Assert.Equal("gpt-4o", sent.RootElement.GetProperty("model").GetString());
            Assert.True(sent.RootElement.GetProperty("stream_options").GetProperty("include_usage").GetBoolean()); // Azure reports usage when asked, as OpenAI does
        }

        BillingRecord record = await Relay.Billing.SingleForAsync("azure/gpt-4o");
        Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
        Assert.Equal(UsageStatus.Reported, record.Usage.Status);
        Assert.Equal(FakeStreams.ChatPrompt, record.Usage.InputTokens);
        Assert.Equal(FakeStreams.ChatCached, record.Usage.CachedInputTokens);
        Assert.Equal(FakeStreams.ChatCompletion, record.Usage.OutputTokens);
        Assert.Equal(FakeStreams.ChatReasoning, record.Usage.ReasoningTokens);
        Assert.Equal((FakeStreams.ChatPrompt * 5.00m + FakeStreams.ChatCompletion * 20.00m) / 1_000_000m, record.Cost);
    }

    [Fact]
    public async Task Responses_WithAnApiVersion_GoToTheResourcesResponsesPath()
    {
        using HttpResponseMessage response = await PostAsync("/v1/responses", """{"model":"azure/gpt-4o","stream":true,"input":"hi"}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await response.Content.ReadAsStringAsync();
        Assert.Equal("/openai/responses", Upstream.LastRequest.Path);
        Assert.Equal("?api-version=2024-10-21", Upstream.LastRequest.Query);
        BillingRecord record = await Relay.Billing.SingleForAsync("azure/gpt-4o");
        Assert.Equal(FakeStreams.RespInput, record.Usage.InputTokens);
        Assert.Equal(FakeStreams.RespReasoning, record.Usage.ReasoningTokens);
    }

    [Theory]
    [InlineData("/v1/chat/completions", """{"model":"azurev1/my-deployment","messages":[]}""", "/openai/v1/chat/completions")]
    [InlineData("/v1/responses", """{"model":"azurev1/my-deployment","input":"hi"}""", "/openai/v1/responses")]
    public async Task WithoutAnApiVersion_TheV1Surface_IsUsed_WithTheDeploymentAsTheModel(string path, string json, string upstreamPath)
    {
        using HttpResponseMessage response = await PostAsync(path, json);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await response.Content.ReadAsStringAsync();
        RecordedRequest upstream = Upstream.LastRequest;
        Assert.Equal(upstreamPath, upstream.Path);
        Assert.Equal("", upstream.Query);
        Assert.Equal(AzureKey, upstream.Headers["api-key"]);
        using JsonDocument sent = JsonDocument.Parse(upstream.Body);
        Assert.Equal("my-deployment", sent.RootElement.GetProperty("model").GetString());
        BillingRecord record = await Relay.Billing.SingleForAsync("azurev1/my-deployment");
        Assert.Equal(UsageStatus.Reported, record.Usage.Status); // a JSON body's usage
        Assert.True(record.Usage.InputTokens > 0);
    }

    [Fact]
    public async Task AnthropicMessages_ToAnAzureProvider_AreRefused_InAnthropicsShape_AndNothingGoesUpstream()
    {
        using HttpResponseMessage response = await PostAsync("/v1/messages", """{"model":"azure/gpt-4o","max_tokens":10,"messages":[]}""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("error", body.RootElement.GetProperty("type").GetString());
        Assert.Contains("Azure OpenAI provider", body.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty(Upstream.Requests);
        BillingRecord record = await Relay.Billing.SingleForAsync("azure/gpt-4o");
        Assert.Equal("unsupported_provider", record.ErrorCode);
    }

    [Fact]
    public async Task TheModelList_HasTheDeployments_UnderTheProvidersName()
    {
        using HttpRequestMessage request = new(HttpMethod.Get, "/v1/models");
        request.Headers.Authorization = new("Bearer", RelayTestHost.RelayKey);
        using HttpResponseMessage response = await Relay.Http.SendAsync(request);
        using JsonDocument models = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains("azure/gpt-4o", models.RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task TheWebSocketMode_GoesToTheV1Surface_WithTheApiKey_AndEachTurnIsBilled()
    {
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl, o => o.SetRequestHeader("Authorization", "Bearer " + RelayTestHost.RelayKey));
        await socket.SendAsync("""{"type":"response.create","model":"azure/gpt-4o","store":false,"input":[]}""");
        await socket.ReceiveUntilAsync("response.completed");

        IReadOnlyDictionary<string, string> handshake = Assert.Single(Upstream.Socket.Handshakes);
        Assert.Equal(AzureKey, handshake["api-key"]);
        Assert.False(handshake.ContainsKey("Authorization"));
        BillingRecord turn = await Relay.Billing.WaitForAsync(r => r.RequestedModel == "azure/gpt-4o" && r.Turn == 1);
        Assert.Equal(ExchangeOutcome.Completed, turn.Outcome);
        Assert.Equal(FakeResponsesSocket.Usage(1).Input, turn.Usage.InputTokens);
        Assert.Equal(FakeResponsesSocket.Usage(1).Output, turn.Usage.OutputTokens);
    }

    [Theory]
    [InlineData("azure/gpt-4o", "/openai/deployments/gpt-4o/chat/completions", "?api-version=2024-10-21")] // the relay's Azure provider
    [InlineData("openai/gpt-4o", "/v1/chat/completions", "")] // any other: the client's api-version stays behind
    public async Task TheAzureSdkClient_PointedAtTheRelay_StreamsAChat_ToWhicheverProviderItsDeploymentNames(string deployment, string upstreamPath, string upstreamQuery)
    {
        JsonElement line = Assert.Single(await NodeScript.RunAsync("azure-chat.mjs", new Dictionary<string, string>
        {
            ["RELAY_URL"] = Relay.BaseUrl.ToString().TrimEnd('/'),
            ["RELAY_KEY"] = RelayTestHost.RelayKey,
            ["DEPLOYMENT"] = deployment,
        }));
        Assert.Equal(FakeUpstream.Text, line.GetProperty("text").GetString());
        Assert.Equal(FakeStreams.ChatPrompt, line.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());

        RecordedRequest upstream = Upstream.LastRequest;
        Assert.Equal(upstreamPath, upstream.Path);
        Assert.Equal(upstreamQuery, upstream.Query);
        using (JsonDocument sent = JsonDocument.Parse(upstream.Body))
        {
            Assert.Equal("gpt-4o", sent.RootElement.GetProperty("model").GetString()); // the upstream model, in the body
        }

        Assert.DoesNotContain(RelayTestHost.RelayKey, string.Join("\n", upstream.Headers.Values), StringComparison.Ordinal);
        BillingRecord record = await Relay.Billing.SingleForAsync(deployment);
        Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
        Assert.Equal(FakeStreams.ChatPrompt, record.Usage.InputTokens);
    }

    [Fact]
    public async Task ADeploymentPath_WithoutAModelInItsBody_GetsTheUpstreamModelAdded()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/openai/deployments/openai%2Fgpt-4o/chat/completions?api-version=2024-10-21")
        {
            Content = new StringContent("""{"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("api-key", RelayTestHost.RelayKey);
        using HttpResponseMessage response = await Relay.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await response.Content.ReadAsStringAsync();
        Assert.Equal("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}""", Upstream.LastRequest.BodyText);
        await Relay.Billing.SingleForAsync("openai/gpt-4o");
    }

    [Fact]
    public async Task ADeploymentPathOtherThanChat_IsRefused_AndNothingGoesUpstream()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/openai/deployments/gpt-4o/embeddings?api-version=2024-10-21")
        {
            Content = new StringContent("""{"input":"hi"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("api-key", RelayTestHost.RelayKey);
        using HttpResponseMessage response = await Relay.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Empty(Upstream.Requests);
    }

    private Task<HttpResponseMessage> PostAsync(string path, string json)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new("Bearer", RelayTestHost.RelayKey);
        return Relay.Http.SendAsync(request);
    }
}
