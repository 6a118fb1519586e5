using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;

namespace AkkaProxy.Host.Tests.Admin;

/// <summary><c>GET /admin</c> and its assets without a browser: the Basic challenge, Basic and Bearer credentials, the CSP.</summary>
public sealed class AdminPageTests : RelayTestBase
{
    private static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    private async Task<HttpResponseMessage> GetAsync(string path, AuthenticationHeaderValue? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path) { Headers = { Authorization = authorization } };
        return await Relay.Http.SendAsync(request);
    }

    [Theory]
    [InlineData("/admin")]
    [InlineData("/admin/assets/admin.js")]
    [InlineData("/admin/usage/series")]
    public async Task WithoutTheAdminKey_TheAnswerIs401_WithABasicChallenge(string path)
    {
        using HttpResponseMessage anonymous = await GetAsync(path, null);
        using HttpResponseMessage wrongPassword = await GetAsync(path, Basic("admin", "not-the-key"));
        using HttpResponseMessage relayKey = await GetAsync(path, Basic("admin", RelayTestHost.RelayKey));
        using HttpResponseMessage garbage = await GetAsync(path, new AuthenticationHeaderValue("Basic", "%%%not-base64"));

        foreach (HttpResponseMessage refused in new[] { anonymous, wrongPassword, relayKey, garbage })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            AuthenticationHeaderValue challenge = Assert.Single(refused.Headers.WwwAuthenticate);
            Assert.Equal("Basic", challenge.Scheme);
            Assert.Contains("realm=\"AkkaProxy admin\"", challenge.Parameter, StringComparison.Ordinal);
            Assert.DoesNotContain("<html", await refused.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task ThePage_IsServedForBasicOrBearer_WithAStrictContentSecurityPolicy_AndItsAssetsFromTheHost()
    {
        using HttpResponseMessage basic = await GetAsync("/admin", Basic("anyone", RelayTestHost.AdminKey));
        using HttpResponseMessage bearer = await GetAsync("/admin", new AuthenticationHeaderValue("Bearer", RelayTestHost.AdminKey));

        Assert.Equal(HttpStatusCode.OK, basic.StatusCode);
        Assert.Equal(HttpStatusCode.OK, bearer.StatusCode);
        Assert.Equal("text/html", basic.Content.Headers.ContentType?.MediaType);
        string csp = basic.Headers.GetValues("Content-Security-Policy").Single();
        Assert.StartsWith("default-src 'self';", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", csp, StringComparison.Ordinal);
        string html = await basic.Content.ReadAsStringAsync();
        Assert.Contains("src=\"/admin/assets/chart.umd.js\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http", html.Replace("http-equiv", "", StringComparison.Ordinal), StringComparison.Ordinal); // nothing from elsewhere
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal); // nothing inline, which the CSP would refuse anyway
        Assert.DoesNotContain("style=", html, StringComparison.Ordinal);

        using HttpResponseMessage chart = await GetAsync("/admin/assets/chart.umd.js", Basic("", RelayTestHost.AdminKey));
        Assert.Equal(HttpStatusCode.OK, chart.StatusCode);
        Assert.Equal("text/javascript", chart.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("/*!\n * Chart.js v4.", await chart.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using HttpResponseMessage missing = await GetAsync("/admin/assets/nothing.js", Basic("", RelayTestHost.AdminKey));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task TheFiguresEndpoints_RefuseParametersThatDoNotRead()
    {
        var admin = new AuthenticationHeaderValue("Bearer", RelayTestHost.AdminKey);
        foreach (string path in new[] { "/admin/usage/series?by=day", "/admin/usage/series?bucket=week", "/admin/usage/top?limit=many", "/admin/usage/outcomes?from=yesterday" })
        {
            using HttpResponseMessage response = await GetAsync(path, admin);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            using JsonDocument error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.NotNull(error.RootElement.GetProperty("error").GetProperty("message").GetString());
        }
    }
}

/// <summary>The page's figures with the ledger off: from this process's recent records, and the page says so.</summary>
public sealed class AdminPageWithoutLedgerTests : RelayTestBase
{
    protected override string ExtraHocon => "akkaproxy.ledger.enabled = false";

    [Fact]
    public async Task TheFigures_ComeFromTheRecentRecords()
    {
        using HttpResponseMessage relayed = await Relay.Http.SendAsync(Post("/v1/chat/completions", """{"model":"openai/gpt-4o","messages":[]}"""));
        relayed.EnsureSuccessStatusCode();
        string requestId = relayed.Headers.GetValues(AkkaProxy.Pipeline.Supervision.HttpRelay.RequestIdHeader).Single();
        BillingRecord billed = await Relay.Billing.WaitForAsync(r => r.RequestId == requestId);
        await Relay.Billing.DrainAsync(requestId); // the recent-records sink has it too
        string from = Uri.EscapeDataString(billed.StartedAt.AddMinutes(-5).ToString("O"));

        using JsonDocument series = await GetJsonAsync($"/admin/usage/series?by=key&from={from}");
        using JsonDocument top = await GetJsonAsync($"/admin/usage/top?from={from}");
        using JsonDocument outcomes = await GetJsonAsync($"/admin/usage/outcomes?from={from}");

        Assert.Equal("recent", series.RootElement.GetProperty("source").GetString());
        Assert.Equal("minute", series.RootElement.GetProperty("bucket").GetString()); // chosen by the range's span
        JsonElement key = Assert.Single(series.RootElement.GetProperty("totals").EnumerateArray());
        Assert.Equal("team-a", key.GetProperty("group").GetString());
        Assert.Equal(billed.Cost, key.GetProperty("cost").GetDecimal());
        Assert.Equal(billed.Usage.InputTokens, key.GetProperty("input_tokens").GetInt64());
        Assert.Equal(requestId, Assert.Single(top.RootElement.GetProperty("data").EnumerateArray()).GetProperty("request_id").GetString());
        JsonElement outcome = Assert.Single(outcomes.RootElement.GetProperty("data").EnumerateArray());
        Assert.Equal("upstream", outcome.GetProperty("ended_by").GetString());
        Assert.Equal("completed", outcome.GetProperty("outcome").GetString());
        Assert.Equal(1, outcome.GetProperty("requests").GetInt64());
    }

    private async Task<JsonDocument> GetJsonAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path) { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", RelayTestHost.AdminKey) } };
        using HttpResponseMessage response = await Relay.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }
}
