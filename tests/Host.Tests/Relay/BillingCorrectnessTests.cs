using System.Net;
using System.Text;
using System.Text.Json;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Supervision;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Host.Tests.Relay;

/// <summary>Billing on the streams providers really send, and the records of requests the relay refuses.</summary>
public sealed class BillingCorrectnessTests : RelayTestBase
{
    // Every fake scenario is priced, so a null cost below means "could not be priced", never "no price".
    protected override string ExtraHocon => """
            akkaproxy.pricing { "*~*" { input = 1.00, output = 2.00 } }
            """;

    [Fact]
    public async Task AUsageChunkAfterDone_IsRelayed_ButNeverBilled()
    {
        string body = await PostStreamAsync("/v1/chat/completions",
            """{"model":"openai/gpt-4o~after-done","stream":true,"stream_options":{"include_usage":true},"messages":[]}""");

        Assert.EndsWith("data: [DONE]\n\n" + FakeStreams.LateUsageChunk("gpt-4o~after-done"), body, StringComparison.Ordinal);
        BillingRecord record = await Relay.Billing.SingleForAsync("openai/gpt-4o~after-done");
        Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
        Assert.Equal(UsageStatus.Reported, record.Usage.Status);
        Assert.Equal(FakeStreams.ChatPrompt, record.Usage.InputTokens);
        Assert.Equal(FakeStreams.ChatCompletion, record.Usage.OutputTokens);
        Assert.Equal(PricingTable.Cost(new ModelPrice { Input = 1.00m, Output = 2.00m }, record.Usage), record.Cost);
        Assert.Contains(UsageWarnings.DataAfterDone, record.Warnings);
    }

    [Fact]
    public async Task AMalformedChatEvent_IsRelayed_AndTheRestOfTheStreamIsBilled()
    {
        string body = await PostStreamAsync("/v1/chat/completions",
            """{"model":"openai/malformed","stream":true,"stream_options":{"include_usage":true},"messages":[]}""");

        Assert.Contains("\"content\":\"oops\"", body, StringComparison.Ordinal); // forwarded unchanged
        Assert.DoesNotContain("upstream_malformed_event", body, StringComparison.Ordinal); // and the stream was not cut
        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
        Assert.Contains(" upstream\"", body, StringComparison.Ordinal); // the last delta arrived
        BillingRecord record = await Relay.Billing.SingleForAsync("openai/malformed");
        Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
        Assert.Null(record.ErrorCode);
        Assert.Equal(UsageStatus.Reported, record.Usage.Status);
        Assert.Equal(FakeStreams.ChatPrompt, record.Usage.InputTokens);
        Assert.Equal([UsageWarnings.MalformedEvent], record.Warnings);
    }

    [Fact]
    public async Task AMalformedResponsesEvent_IsRelayed_AndResponseCompletedStillArrivesAndIsBilled()
    {
        string body = await PostStreamAsync("/v1/responses", """{"model":"openai/malformed","stream":true,"input":"hi"}""");

        Assert.Contains("\"content\":\"oops\"", body, StringComparison.Ordinal);
        Assert.Contains("event: response.completed\n", body, StringComparison.Ordinal);
        Assert.DoesNotContain("event: error", body, StringComparison.Ordinal);
        BillingRecord record = await Relay.Billing.SingleForAsync("openai/malformed");
        Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
        Assert.Equal(UsageStatus.Reported, record.Usage.Status);
        Assert.Equal(FakeStreams.RespInput, record.Usage.InputTokens);
        Assert.Equal(FakeStreams.RespOutput, record.Usage.OutputTokens);
        Assert.Equal([UsageWarnings.MalformedEvent], record.Warnings);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task UsageWithOnlyATotal_KeepsTheTotal_IsPartial_AndHasNoCost(bool stream)
    {
        const string model = "compat/gpt-4o~total-only";
        string json = $$"""{"model":"{{model}}","stream":{{(stream ? "true" : "false")}},"stream_options":{"include_usage":true},"messages":[]}""";
        using HttpResponseMessage response = await Relay.Http.SendAsync(Post("/v1/chat/completions", json));
        await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        BillingRecord record = await Relay.Billing.SingleForAsync(model);
        Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
        Assert.Equal(UsageStatus.Partial, record.Usage.Status);
        Assert.Equal(FakeStreams.TotalOnlyTokens, record.Usage.TotalTokens);
        Assert.True(record.Usage.IsTotalOnly);
        Assert.Null(record.Cost);
    }

    [Fact]
    public async Task AnUnknownProviderPrefix_IsRejected_Recorded_AndNothingGoesUpstream()
    {
        using HttpResponseMessage response = await Relay.Http.SendAsync(Post("/v1/chat/completions", """{"model":"antrhopic/claude-x","messages":[]}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        JsonElement error = json.RootElement.GetProperty("error");
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
        Assert.Contains("'antrhopic/'", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("'anthropic/'", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty(Upstream.Requests);
        BillingRecord record = await Relay.Billing.SingleForAsync("antrhopic/claude-x");
        AssertRejected(record, response, 400, "model_not_found");
        Assert.Null(record.Provider);
        Assert.Null(record.UpstreamModel);
    }

    [Fact]
    public async Task ABodyThatIsNotJson_IsRejected_AndRecorded()
    {
        using HttpResponseMessage response = await Relay.Http.SendAsync(Post("/v1/chat/completions", "{not json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        BillingRecord record = await Relay.Billing.WaitForAsync(r => r.ErrorCode == "invalid_request_body");
        AssertRejected(record, response, 400, "invalid_request_body");
        Assert.Null(record.RequestedModel);
        Assert.Empty(Upstream.Requests);
    }

    [Fact]
    public async Task ARequestThatFailsAuthentication_IsNotRecorded()
    {
        using var unauthenticated = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"openai/unauthenticated","messages":[]}""", Encoding.UTF8, "application/json"),
        };
        using HttpResponseMessage refused = await Relay.Http.SendAsync(unauthenticated);
        using HttpResponseMessage later = await Relay.Http.SendAsync(Post("/v1/chat/completions", """{"model":"openai/gpt-4o","messages":[]}"""));

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        // Records are delivered in the order their requests ended: once the later one is here, a record
        // of the refused request would be here too.
        await Relay.Billing.SingleForAsync("openai/gpt-4o");
        Assert.DoesNotContain(Relay.Billing.Records, r => r.RequestedModel == "openai/unauthenticated");
    }

    private static void AssertRejected(BillingRecord record, HttpResponseMessage response, int status, string code)
    {
        Assert.Equal(ExchangeOutcome.Rejected, record.Outcome);
        Assert.Equal(EndedBy.Relay, record.EndedBy);
        Assert.Equal(status, record.HttpStatus);
        Assert.Equal(code, record.ErrorCode);
        Assert.Equal(0m, record.Cost);
        Assert.Equal(UsageStatus.Missing, record.Usage.Status);
        Assert.Equal("team-a", record.KeyId);
        Assert.Equal(response.Headers.GetValues(HttpRelay.RequestIdHeader).Single(), record.RequestId);
    }
}
