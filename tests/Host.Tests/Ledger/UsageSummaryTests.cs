using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using AkkaProxy.Hosting.Ledger;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaProxy.Host.Tests.Ledger;

/// <summary><c>GET /admin/usage/summary</c>: tokens and exact cost per key, model and day, read from the ledger.</summary>
public sealed class UsageSummaryTests : RelayTestBase
{
    [Fact]
    public async Task TheSummary_AddsUpTheLedgersRecords_PerKeyModelAndDay_WithTheCostExact()
    {
        for (int i = 0; i < 3; i++)
        {
            using HttpResponseMessage relayed = await Relay.Http.SendAsync(Post("/v1/chat/completions", """{"model":"openai/gpt-4o","messages":[]}"""));
            relayed.EnsureSuccessStatusCode();
        }

        LedgerWriter writer = Relay.App.Services.GetRequiredService<LedgerWriter>();
        await WaitUntilAsync(() => writer.Acknowledged >= 3, "three records committed to the ledger");
        BillingRecord[] billed = [.. Relay.Billing.Records.Where(r => r.RequestedModel == "openai/gpt-4o")];
        Assert.Equal(3, billed.Length);

        JsonElement byKey = Assert.Single((await SummaryAsync("key")).EnumerateArray());
        Assert.Equal("team-a", byKey.GetProperty("group").GetString());
        Assert.Equal(3, byKey.GetProperty("requests").GetInt64());
        Assert.Equal(billed.Sum(r => r.Usage.InputTokens), byKey.GetProperty("input_tokens").GetInt64());
        Assert.Equal(billed.Sum(r => r.Usage.OutputTokens), byKey.GetProperty("output_tokens").GetInt64());
        Assert.Equal(billed.Sum(r => r.Cost!.Value), byKey.GetProperty("cost").GetDecimal());
        Assert.Equal(0, byKey.GetProperty("unpriced_requests").GetInt64());

        Assert.Equal("openai/gpt-4o", Assert.Single((await SummaryAsync("model")).EnumerateArray()).GetProperty("group").GetString());
        string today = billed[0].StartedAt.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        Assert.Equal(today, Assert.Single((await SummaryAsync("day")).EnumerateArray()).GetProperty("group").GetString());
        string tomorrow = billed[0].StartedAt.UtcDateTime.Date.AddDays(1).ToString("O", CultureInfo.InvariantCulture);
        Assert.Empty((await SummaryAsync("key", $"&from={Uri.EscapeDataString(tomorrow)}")).EnumerateArray()); // the range filters

        using HttpResponseMessage wrong = await AdminGetAsync("/admin/usage/summary?by=provider-and-moon");
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        using HttpResponseMessage anonymous = await Relay.Http.GetAsync("/admin/usage/summary");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    private async Task<JsonElement> SummaryAsync(string by, string extra = "")
    {
        using HttpResponseMessage response = await AdminGetAsync($"/admin/usage/summary?by={by}{extra}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("data").Clone();
    }

    private Task<HttpResponseMessage> AdminGetAsync(string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", RelayTestHost.AdminKey);
        return Relay.Http.SendAsync(request);
    }
}
