using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;

using Microsoft.Extensions.DependencyInjection;

namespace AkkaProxy.Host.Tests.Admin;

/// <summary><c>GET /admin/usage</c> and <c>GET /v1/models</c>.</summary>
public sealed class AdminUsageTests : RelayTestBase
{

    [Fact]
    public async Task RecentRecords_NeedTheAdminKey_AndCarryUsageAndOutcome()
    {
        using var post = new HttpRequestMessage(HttpMethod.Post, "/v1/responses") { Content = new StringContent("""{"model":"openai/gpt-4o","input":"hi"}""", Encoding.UTF8, "application/json") };
        post.Headers.Authorization = new("Bearer", RelayTestHost.RelayKey);
        (await Relay.Http.SendAsync(post)).Dispose();
        await Relay.Billing.SingleForAsync("openai/gpt-4o");
        // The endpoint reads the ledger: the record is there once the ledger committed it (records are committed in order).
        AkkaProxy.Hosting.Ledger.LedgerWriter ledger = Relay.App.Services.GetRequiredService<AkkaProxy.Hosting.Ledger.LedgerWriter>();
        await WaitUntilAsync(() => ledger.Acknowledged >= 1, "the record committed to the ledger");

        using HttpResponseMessage anonymous = await Relay.Http.GetAsync("/admin/usage");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var withRelayKey = new HttpRequestMessage(HttpMethod.Get, "/admin/usage") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", RelayTestHost.RelayKey) } };
        Assert.Equal(HttpStatusCode.Unauthorized, (await Relay.Http.SendAsync(withRelayKey)).StatusCode);

        using var admin = new HttpRequestMessage(HttpMethod.Get, "/admin/usage?limit=5") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", RelayTestHost.AdminKey) } };
        using HttpResponseMessage response = await Relay.Http.SendAsync(admin);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        // SingleForAsync drained the billing queue with a sentinel of the test kit; it is a record like any other here.
        JsonElement record = Assert.Single(json.RootElement.GetProperty("data").EnumerateArray(),
            r => !r.GetProperty("request_id").GetString()!.StartsWith(CapturingBillingSink.SentinelPrefix, StringComparison.Ordinal));
        Assert.Equal("openai/gpt-4o", record.GetProperty("requested_model").GetString());
        Assert.Equal("completed", record.GetProperty("outcome").GetString());
        Assert.Equal("responses", record.GetProperty("api").GetString());
        Assert.Equal(FakeStreams.RespCached, record.GetProperty("usage").GetProperty("cached_input_tokens").GetInt64());
        Assert.Equal("reported", record.GetProperty("usage").GetProperty("status").GetString());
        Assert.Equal("team-a", record.GetProperty("key_id").GetString());
        Assert.DoesNotContain(RelayTestHost.RelayKey, json.RootElement.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Models_ListsPrefixedModelsAndExactMapEntries()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", RelayTestHost.RelayKey) } };
        using HttpResponseMessage response = await Relay.Http.SendAsync(request);

        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        string[] ids = json.RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()!).ToArray();
        Assert.Contains("openai/gpt-4o", ids);
        Assert.DoesNotContain(ids, id => id.StartsWith("ollama/", StringComparison.Ordinal));
        Assert.DoesNotContain(ids, id => id.Contains('*'));
    }

    [Fact]
    public async Task OpenAISdk_ListsModelsThroughTheRelay()
    {
        var models = await Relay.OpenAI().GetOpenAIModelClient().GetModelsAsync();

        Assert.Contains(models.Value, m => m.Id == "openai/gpt-4o");
    }
}
