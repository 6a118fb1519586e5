using System.Net;
using System.Text;
using System.Text.Json;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Host.Tests.Providers;

/// <summary>
/// Gemini (<c>kind = gemini</c>) against a fake in Google's wire format: the model (with the provider
/// prefix) in the path, relayed byte for byte to the upstream model's path, the provider's key in
/// <c>x-goog-api-key</c> and the relay key never upstream; usage from <c>usageMetadata</c> on streams and
/// JSON; the relay's own refusals in Google's error shape.
/// </summary>
public sealed class GeminiTests : RelayTestBase
{
    private const string GeminiKey = "gemini-upstream-key-xyz";
    private const string Model = "gemini/gemini-2.5-flash";

    protected override string ExtraHocon => $$"""
        akkaproxy.routing.providers {
          gemini { enabled = true, kind = gemini, base-url = "{{Upstream.BaseUrl.ToString().TrimEnd('/')}}", api-key = "{{GeminiKey}}", models = ["gemini-2.5-flash"] }
        }
        akkaproxy.pricing { "gemini/gemini-2.5-flash" { input = 0.30, cached-input = 0.03, output = 2.50 } }
        """;

    private const string Body = """{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}""";

    [Fact]
    public async Task AStream_IsRelayedByteForByte_ToTheUpstreamModelsPath_AndBilledFromItsLastUsageMetadata()
    {
        using HttpResponseMessage response = await PostAsync($"/v1beta/models/{Model}:streamGenerateContent?alt=sse", Body);
        byte[] relayed = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);

        RecordedRequest upstream = Upstream.LastRequest;
        Assert.Equal("/v1beta/models/gemini-2.5-flash:streamGenerateContent", upstream.Path);
        Assert.Equal("?alt=sse", upstream.Query);
        Assert.Equal(GeminiKey, upstream.Headers["x-goog-api-key"]);
        Assert.False(upstream.Headers.ContainsKey("Authorization"));
        Assert.DoesNotContain(RelayTestHost.RelayKey, string.Join("\n", upstream.Headers.Values), StringComparison.Ordinal);
        Assert.Equal(Body, upstream.BodyText); // nothing to rewrite: the model is in the path

        // The fake's own bytes, asked for directly, are what the client got.
        using var direct = new HttpClient { BaseAddress = Upstream.BaseUrl };
        using HttpResponseMessage original = await direct.PostAsync("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", new StringContent(Body, Encoding.UTF8, "application/json"));
        Assert.Equal(await original.Content.ReadAsByteArrayAsync(), relayed);

        BillingRecord record = await Relay.Billing.SingleForAsync(Model);
        Assert.Equal(ApiKind.GeminiGenerateContent, record.Api);
        Assert.True(record.Streaming);
        Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
        Assert.Equal(UsageStatus.Reported, record.Usage.Status);
        Assert.Equal(FakeGemini.Prompt, record.Usage.InputTokens);
        Assert.Equal(FakeGemini.Cached, record.Usage.CachedInputTokens);
        Assert.Equal(FakeGemini.Candidates + FakeGemini.Thoughts, record.Usage.OutputTokens);
        Assert.Equal(FakeGemini.Thoughts, record.Usage.ReasoningTokens);
        decimal expected = ((FakeGemini.Prompt - FakeGemini.Cached) * 0.30m + FakeGemini.Cached * 0.03m + (FakeGemini.Candidates + FakeGemini.Thoughts) * 2.50m) / 1_000_000m;
        Assert.Equal(expected, record.Cost);
        Assert.Equal("gemini-2.5-flash", record.UpstreamModel);
    }

    [Fact]
    public async Task GooglesGenAiSdk_StreamsAndCalls_ThroughTheRelay_WithTheUsageTheRelayBills()
    {
        JsonElement[] lines = await NodeScript.RunAsync("gemini-stream.mjs", new Dictionary<string, string>
        {
            ["RELAY_URL"] = Relay.BaseUrl.ToString().TrimEnd('/'),
            ["RELAY_KEY"] = RelayTestHost.RelayKey,
            ["MODEL"] = Model,
        });

        JsonElement stream = Assert.Single(lines, l => l.GetProperty("call").GetString() == "stream");
        Assert.Equal(FakeUpstream.Deltas.Length, stream.GetProperty("chunks").GetInt32());
        Assert.Equal(string.Concat(FakeUpstream.Deltas), stream.GetProperty("text").GetString());
        Assert.Equal(FakeGemini.Thoughts, stream.GetProperty("usage").GetProperty("thoughtsTokenCount").GetInt32());
        JsonElement json = Assert.Single(lines, l => l.GetProperty("call").GetString() == "json");
        Assert.Equal(FakeUpstream.Text, json.GetProperty("text").GetString());

        // The SDK's two calls, as the upstream saw them: the upstream model's paths, the provider's key.
        RecordedRequest[] upstream = [.. Upstream.Requests];
        // The SDK calls v1; the upstream gets the version the client called.
        Assert.Equal(["/v1/models/gemini-2.5-flash:streamGenerateContent", "/v1/models/gemini-2.5-flash:generateContent"], upstream.Select(r => r.Path));
        Assert.All(upstream, r => Assert.Equal(GeminiKey, r.Headers["x-goog-api-key"]));

        await Relay.Billing.WaitForCountAsync(r => r.RequestedModel == Model, 2);
        await Relay.Billing.DrainAsync();
        BillingRecord[] records = [.. Relay.Billing.Records.Where(r => r.RequestedModel == Model)];
        Assert.Equal([true, false], records.Select(r => r.Streaming));
        Assert.All(records, r =>
        {
            Assert.Equal(ExchangeOutcome.Completed, r.Outcome);
            Assert.Equal(FakeGemini.Prompt, r.Usage.InputTokens);
            Assert.Equal(FakeGemini.Candidates + FakeGemini.Thoughts, r.Usage.OutputTokens);
        });
    }

    [Fact]
    public async Task AJsonCall_IsBilledFromItsUsageMetadata()
    {
        using HttpResponseMessage response = await PostAsync($"/v1beta/models/{Model}:generateContent", Body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(FakeGemini.ResponseId, json.RootElement.GetProperty("responseId").GetString());
        Assert.Equal("/v1beta/models/gemini-2.5-flash:generateContent", Upstream.LastRequest.Path);

        BillingRecord record = await Relay.Billing.SingleForAsync(Model);
        Assert.False(record.Streaming);
        Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
        Assert.Equal(UsageStatus.Reported, record.Usage.Status);
        Assert.Equal(FakeGemini.Prompt, record.Usage.InputTokens);
        Assert.Equal(FakeGemini.Candidates + FakeGemini.Thoughts, record.Usage.OutputTokens);
    }

    [Fact]
    public async Task TheRelayKey_InTheKeyQueryParameter_IsAccepted_AndNeverSentUpstream_NorAnyParameterThatCouldHideTheUsage()
    {
        // fields / $fields and the field mask header could leave usageMetadata out; $alt could change the format.
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1beta/models/{Model}:streamGenerateContent?alt=sse&key={RelayTestHost.RelayKey}&fields=candidates&%24alt=json")
        {
            Content = new StringContent(Body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Goog-FieldMask", "candidates");
        using HttpResponseMessage response = await Relay.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await response.Content.ReadAsByteArrayAsync();
        Assert.Equal("?alt=sse", Upstream.LastRequest.Query);
        Assert.False(Upstream.LastRequest.Headers.ContainsKey("X-Goog-FieldMask"));
        Assert.Equal(GeminiKey, Upstream.LastRequest.Headers["x-goog-api-key"]);
        BillingRecord record = await Relay.Billing.SingleForAsync(Model);
        Assert.Equal(UsageStatus.Reported, record.Usage.Status);
    }

    [Fact]
    public async Task AStreamCutBeforeItsFinishingChunk_IsNotCompleted_AndBillsWhatWasRead()
    {
        using HttpResponseMessage response = await PostAsync("/v1beta/models/gemini/gem-cut:streamGenerateContent?alt=sse", Body);
        await response.Content.ReadAsByteArrayAsync();
        BillingRecord record = await Relay.Billing.SingleForAsync("gemini/gem-cut");
        Assert.NotEqual(ExchangeOutcome.Completed, record.Outcome);
        Assert.Equal(UsageStatus.Partial, record.Usage.Status);
        Assert.Equal(FakeGemini.Prompt, record.Usage.InputTokens);
        Assert.Equal(FakeGemini.UsageAt(1, final: false).Candidates + FakeGemini.Thoughts, record.Usage.OutputTokens);
    }

    [Fact]
    public async Task APromptGeminiBlocks_IsRelayedAsItCame_AndBilledCompleted_WithItsPromptTokens()
    {
        using HttpResponseMessage response = await PostAsync("/v1beta/models/gemini/gem-blocked:streamGenerateContent?alt=sse", Body);
        string body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"blockReason\":\"SAFETY\"", body, StringComparison.Ordinal);
        Assert.DoesNotContain("\"error\"", body, StringComparison.Ordinal); // no truncation error appended
        BillingRecord record = await Relay.Billing.SingleForAsync("gemini/gem-blocked");
        Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
        Assert.Equal(UsageStatus.Reported, record.Usage.Status);
        Assert.Equal(FakeGemini.Prompt, record.Usage.InputTokens);
        Assert.Equal(0, record.Usage.OutputTokens);
    }

    [Fact]
    public async Task AnUpstreamError_ReachesTheClientInGooglesShape_AndIsBilled()
    {
        using HttpResponseMessage response = await PostAsync("/v1beta/models/gemini/status-429:generateContent", Body);
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("RESOURCE_EXHAUSTED", json.RootElement.GetProperty("error").GetProperty("status").GetString());
        BillingRecord record = await Relay.Billing.SingleForAsync("gemini/status-429");
        Assert.Equal(429, record.HttpStatus);
    }

    [Theory]
    [InlineData(null, "/v1beta/models/gemini/gemini-2.5-flash:generateContent", 401, "UNAUTHENTICATED", "invalid_api_key")]
    [InlineData("key", "/v1beta/models/gemini/gemini-2.5-flash:streamGenerateContent", 400, "INVALID_ARGUMENT", "sse_required")]
    [InlineData("key", "/v1beta/models/gemini/gemini-2.5-flash:countTokens", 404, "NOT_FOUND", "unsupported_method")]
    [InlineData("key", "/v1beta/models/openai/gpt-4o:generateContent", 400, "INVALID_ARGUMENT", "unsupported_provider")]
    [InlineData("key", "/v1beta/models/nosuch/model:generateContent", 400, "INVALID_ARGUMENT", "model_not_found")]
    public async Task TheRelaysOwnRefusals_AreInGooglesErrorShape_AndNothingGoesUpstream(string? key, string path, int status, string statusName, string reason)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(Body, Encoding.UTF8, "application/json") };
        if (key is not null)
        {
            request.Headers.Add("x-goog-api-key", RelayTestHost.RelayKey);
        }

        using HttpResponseMessage response = await Relay.Http.SendAsync(request);
        Assert.Equal(status, (int)response.StatusCode);
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        JsonElement error = json.RootElement.GetProperty("error");
        Assert.Equal(status, error.GetProperty("code").GetInt32());
        Assert.Equal(statusName, error.GetProperty("status").GetString());
        Assert.Equal(reason, error.GetProperty("details")[0].GetProperty("reason").GetString());
        Assert.Empty(Upstream.Requests);
    }

    [Fact]
    public async Task AChatCompletion_ForAGeminiModel_IsRefusedInOpenAIsShape_NamingGeminisPaths()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent("""{"model":"gemini/gemini-2.5-flash","messages":[]}""", Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new("Bearer", RelayTestHost.RelayKey);
        using HttpResponseMessage response = await Relay.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("unsupported_provider", json.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains(":streamGenerateContent", json.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty(Upstream.Requests);
    }

    [Fact]
    public async Task TheModelList_HasTheProvidersModels()
    {
        using HttpRequestMessage request = new(HttpMethod.Get, "/v1/models");
        request.Headers.Authorization = new("Bearer", RelayTestHost.RelayKey);
        using HttpResponseMessage response = await Relay.Http.SendAsync(request);
        using JsonDocument models = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains(Model, models.RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
    }

    private Task<HttpResponseMessage> PostAsync(string path, string json)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Add("x-goog-api-key", RelayTestHost.RelayKey);
        return Relay.Http.SendAsync(request);
    }
}
