using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using AkkaProxy.Hosting.Observability;
using System.ClientModel;
using System.Net;
using System.Text.Json;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OpenAI.Chat;

namespace AkkaProxy.Host.Tests.Auth;

/// <summary>
/// Relay keys' budgets, rate limits and allowed models on a real host: a request that crosses a limit
/// completes and is billed, the next one gets 429 in the API's error shape saying which limit and when
/// it resets; the relay's clock is a <see cref="FakeTimeProvider"/>, so windows reset when the test says.
/// </summary>
public sealed class KeyLimitsTests : RelayTestBase
{
    internal const string BudgetKey = "k-budget-secret";
    internal const string RpmKey = "k-rpm-secret";
    internal const string TpmKey = "k-tpm-secret";
    internal const string NarrowKey = "k-narrow-secret";
    private const string Chat = """{"model":"openai/gpt-4o","messages":[{"role":"user","content":"hi"}]}""";

    /// <summary>A Tuesday, 10:00:30 UTC: the minute resets at 10:01, the day at midnight.</summary>
    internal static readonly DateTimeOffset Start = new(2026, 12, 1, 10, 0, 30, TimeSpan.Zero);

    private readonly FakeTimeProvider _clock = new(Start);

    // One gpt-4o chat request of the fake upstream costs about 0.0004: a budget of 0.0001 is crossed by the first.
    internal const string Keys = """
        akkaproxy.auth.keys {
          budgeted { key = "k-budget-secret", budget = 0.0001, budget-period = day }
          limited { key = "k-rpm-secret", requests-per-minute = 3 }
          tokens { key = "k-tpm-secret", tokens-per-minute = 5 }
          narrow { key = "k-narrow-secret", allowed-providers = [openai], allowed-models = ["gpt-4o*"] }
        }
        """;

    protected override string ExtraHocon => Keys;

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(_clock);

    [Fact]
    public async Task ARequestThatCrossesTheBudget_CompletesAndIsBilled_TheNextGets429SayingWhenItResets()
    {
        Meter meter = Relay.App.Services.GetRequiredService<RelayMetrics>().Meter;
        var refusals = new ConcurrentQueue<(string? Key, string? Code)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, meter) && instrument.Name == "akkaproxy.key.refusals")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            Dictionary<string, object?> byName = tags.ToArray().ToDictionary(t => t.Key, t => t.Value);
            refusals.Enqueue(((string?)byName["akkaproxy.key_id"], (string?)byName["error.type"]));
        });
        listener.Start();

        using HttpResponseMessage first = await Relay.Http.SendAsync(PostAs(BudgetKey, Chat));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        BillingRecord crossed = await Relay.Billing.WaitForAsync(r => r.KeyId == "budgeted");
        Assert.Equal(ExchangeOutcome.Completed, crossed.Outcome);
        Assert.True(crossed.Cost > 0.0001m, $"the first request costs {crossed.Cost}, past the budget");

        using HttpResponseMessage next = await Relay.Http.SendAsync(PostAs(BudgetKey, Chat));
        Assert.Equal(HttpStatusCode.TooManyRequests, next.StatusCode);
        JsonElement error = await ErrorAsync(next);
        Assert.Equal("budget_exceeded", error.GetProperty("code").GetString());
        Assert.Equal("insufficient_quota", error.GetProperty("type").GetString());
        string message = error.GetProperty("message").GetString()!;
        Assert.Contains("daily budget", message);
        Assert.Contains("2026-12-02T00:00:00Z", message);
        Assert.Equal(((long)Math.Ceiling((new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero) - Start).TotalSeconds)).ToString(), next.Headers.GetValues("Retry-After").Single());
        Assert.DoesNotContain(BudgetKey, message);
        Assert.Equal("false", next.Headers.GetValues("x-should-retry").Single()); // spent until the period ends: the SDKs would retry a 429

        BillingRecord refused = await Relay.Billing.WaitForAsync(r => r.KeyId == "budgeted" && r.Outcome == ExchangeOutcome.Rejected);
        Assert.Equal(("budget_exceeded", 429, 0m), (refused.ErrorCode, refused.HttpStatus, refused.Cost));
        Assert.Equal(1, Upstream.Requests.Count(r => r.Path.EndsWith("/chat/completions", StringComparison.Ordinal))); // the refused one never went upstream
        await WaitUntilAsync(() => !refusals.IsEmpty, "the refusal counted by the metrics sink");
        Assert.Equal(("budgeted", "budget_exceeded"), Assert.Single(refusals));

        // The next day the budget starts again.
        _clock.SetUtcNow(new DateTimeOffset(2026, 12, 2, 0, 0, 1, TimeSpan.Zero));
        using HttpResponseMessage tomorrow = await Relay.Http.SendAsync(PostAs(BudgetKey, Chat));
        Assert.Equal(HttpStatusCode.OK, tomorrow.StatusCode);
    }

    [Fact]
    public async Task ABudgetedKey_IsRefusedAModelWithoutAPrice_WhoseSpendCouldNotBeCounted()
    {
        for (int i = 0; i < 2; i++) // the second answer comes from the remembered lookup
        {
            using HttpResponseMessage unpriced = await Relay.Http.SendAsync(PostAs(BudgetKey, """{"model":"openai/gpt-5-unpriced","messages":[]}"""));
            Assert.Equal(HttpStatusCode.Forbidden, unpriced.StatusCode);
            Assert.Equal("model_not_priced", (await ErrorAsync(unpriced)).GetProperty("code").GetString());
            Assert.Equal("false", unpriced.Headers.GetValues("x-should-retry").Single());
        }

        Assert.DoesNotContain(Upstream.Requests, r => r.Path.EndsWith("/chat/completions", StringComparison.Ordinal));
        using HttpResponseMessage priced = await Relay.Http.SendAsync(PostAs(BudgetKey, Chat));
        Assert.Equal(HttpStatusCode.OK, priced.StatusCode);
    }

    [Fact]
    public async Task TheOfficialSdk_SeesThe429_AsARateLimitError()
    {
        ChatClient chat = Relay.OpenAI(RpmKey).GetChatClient("openai/gpt-4o");
        for (int i = 0; i < 3; i++)
        {
            await chat.CompleteChatAsync("hi");
        }

        ClientResultException refused = await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync("hi"));
        Assert.Equal(429, refused.Status);
        Assert.Contains("3 requests per minute", refused.Message);
        Assert.Contains("2026-12-01T10:01:00Z", refused.Message);
    }

    [Fact]
    public async Task ConcurrentRequestsOnOneKey_AreAdmittedUpToTheRequestLimit_NotOneMore()
    {
        HttpResponseMessage[] answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Relay.Http.SendAsync(PostAs(RpmKey, Chat))));
        Assert.Equal(3, answers.Count(a => a.StatusCode == HttpStatusCode.OK));
        Assert.Equal(9, answers.Count(a => a.StatusCode == HttpStatusCode.TooManyRequests));
        HttpResponseMessage refused = answers.First(a => a.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.Equal("30", refused.Headers.GetValues("Retry-After").Single()); // 10:00:30 → 10:01:00
        Assert.Equal("requests", (await ErrorAsync(refused)).GetProperty("type").GetString());
        Assert.False(refused.Headers.Contains("x-should-retry"), "a rate limit passes with its window: Retry-After says when");
        foreach (HttpResponseMessage answer in answers)
        {
            answer.Dispose();
        }

        // The next minute's window admits again.
        _clock.Advance(TimeSpan.FromSeconds(30));
        using HttpResponseMessage later = await Relay.Http.SendAsync(PostAs(RpmKey, Chat));
        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
    }

    [Fact]
    public async Task TheTokenLimit_CountsBilledTokens_AndRefusesOnceTheyReachIt()
    {
        using HttpResponseMessage first = await Relay.Http.SendAsync(PostAs(TpmKey, Chat));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        BillingRecord billed = await Relay.Billing.WaitForAsync(r => r.KeyId == "tokens");
        Assert.True(billed.Usage.TotalTokens >= 5);

        using HttpResponseMessage next = await Relay.Http.SendAsync(PostAs(TpmKey, Chat));
        Assert.Equal(HttpStatusCode.TooManyRequests, next.StatusCode);
        JsonElement error = await ErrorAsync(next);
        Assert.Equal(("rate_limit_exceeded", "tokens"), (error.GetProperty("code").GetString(), error.GetProperty("type").GetString()));
        Assert.Contains($"5 tokens per minute ({billed.Usage.TotalTokens} used)", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task AKeyLimitedToModels_IsRefusedOthers_With403_InEachApisShape()
    {
        using HttpResponseMessage allowed = await Relay.Http.SendAsync(PostAs(NarrowKey, Chat));
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);

        using HttpResponseMessage otherModel = await Relay.Http.SendAsync(PostAs(NarrowKey, """{"model":"openai/gpt-4.1","messages":[]}"""));
        Assert.Equal(HttpStatusCode.Forbidden, otherModel.StatusCode);
        Assert.Equal("model_not_allowed", (await ErrorAsync(otherModel)).GetProperty("code").GetString());

        var anthropic = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = new StringContent("""{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[]}""", System.Text.Encoding.UTF8, "application/json") };
        anthropic.Headers.Add("x-api-key", NarrowKey);
        using HttpResponseMessage otherProvider = await Relay.Http.SendAsync(anthropic);
        Assert.Equal(HttpStatusCode.Forbidden, otherProvider.StatusCode);
        using JsonDocument body = JsonDocument.Parse(await otherProvider.Content.ReadAsStringAsync());
        Assert.Equal("error", body.RootElement.GetProperty("type").GetString()); // Anthropic's shape
        Assert.Equal("permission_error", body.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains("may not use provider 'anthropic'", body.RootElement.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task OnAWebSocket_ATurnPastTheBudget_GetsA429ErrorEvent_AndTheSocketStaysOpen()
    {
        const string create = """{"type":"response.create","model":"openai/gpt-4o","store":false,"input":[]}""";
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl, o => o.SetRequestHeader("Authorization", "Bearer " + BudgetKey));
        await socket.SendAsync(create);
        await socket.ReceiveUntilAsync("response.completed");
        await Relay.Billing.WaitForAsync(r => r.KeyId == "budgeted" && r.Turn == 1);

        for (int refusal = 0; refusal < 2; refusal++)
        {
            await socket.SendAsync(create);
            JsonElement error = await socket.ReceiveUntilAsync("error");
            Assert.Equal(429, error.GetProperty("status").GetInt32());
            Assert.Equal("budget_exceeded", error.GetProperty("error").GetProperty("code").GetString());
        }

        Assert.Equal(System.Net.WebSockets.WebSocketState.Open, socket.Socket.State);
        // Each refusal billed once: the records come from the connection's supervisor, after the error event.
        await Relay.Billing.WaitForCountAsync(r => r.KeyId == "budgeted" && r.ErrorCode == "budget_exceeded", 2);
        await Relay.Billing.DrainAsync();
        Assert.Equal(2, Relay.Billing.Records.Count(r => r.KeyId == "budgeted" && r.ErrorCode == "budget_exceeded"));
    }

    internal static HttpRequestMessage PostAs(string key, string json)
    {
        HttpRequestMessage request = Post("/v1/chat/completions", json);
        request.Headers.Authorization = new("Bearer", key);
        return request;
    }

    private static async Task<JsonElement> ErrorAsync(HttpResponseMessage response)
    {
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("error").Clone();
    }
}
