using System.Globalization;
using System.Net.Http.Headers;
using System.Net;
using System.Text.Json;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Hosting.Ledger;
using AkkaProxy.Ledger.Postgres;
using AkkaProxy.Pipeline.Billing;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaProxy.Host.Tests.Ledger;

/// <summary>
/// The host with <c>akkaproxy.ledger.store = postgresql</c> on a database of the test's own: relayed
/// requests reach PostgreSQL, <c>/admin/usage</c>, its summary and the admin page's reads read them there, and <c>/readyz</c>
/// follows whether the database takes writes.
/// </summary>
public sealed class PostgresLedgerRelayTests : RelayTestBase
{
    private PostgresTestDatabase _database = null!;

    protected override string ExtraHocon => $$"""
        akkaproxy.ledger { store = postgresql, connection-string = "{{_database.ConnectionString}}", retry-delay = 20ms }
        """;

    protected override async Task BeforeStartAsync() => _database = await PostgresTestDatabase.CreateAsync();

    protected override async Task AfterStopAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task RelayedRequests_ReachPostgreSql_AndTheAdminEndpointsReadThemThere()
    {
        Assert.IsType<PostgresLedgerStore>(Relay.App.Services.GetRequiredService<ILedgerStore>());
        BillingRecord[] billed = await RelayAsync(3);

        Dictionary<string, Dictionary<string, object?>> rows = await _database.ReadRowsAsync();
        Assert.Equal(billed.Select(r => r.RequestId).Order(StringComparer.Ordinal), rows.Keys.Order(StringComparer.Ordinal));
        foreach (BillingRecord record in billed)
        {
            Dictionary<string, object?> row = rows[record.RequestId];
            Assert.Equal(record.Usage.InputTokens, row["input_tokens"]);
            Assert.Equal(record.Usage.OutputTokens, row["output_tokens"]);
            Assert.Equal(record.Cost, row["cost"]);
            Assert.Equal("completed", row["outcome"]);
            Assert.Equal("team-a", row["key_id"]);
        }

        using JsonDocument page = await AdminJsonAsync("/admin/usage?model=openai/gpt-4o&limit=2");
        string?[] firstPage = [.. page.RootElement.GetProperty("data").EnumerateArray().Select(r => r.GetProperty("request_id").GetString())];
        Assert.True(page.RootElement.GetProperty("has_more").GetBoolean());
        string cursor = page.RootElement.GetProperty("next_cursor").GetString()!;
        using JsonDocument rest = await AdminJsonAsync($"/admin/usage?model=openai/gpt-4o&limit=2&cursor={Uri.EscapeDataString(cursor)}");
        string?[] secondPage = [.. rest.RootElement.GetProperty("data").EnumerateArray().Select(r => r.GetProperty("request_id").GetString())];
        Assert.Equal(
            billed.OrderByDescending(r => r.StartedAt.ToUnixTimeMilliseconds()).ThenByDescending(r => r.RequestId, StringComparer.Ordinal).Select(r => r.RequestId),
            firstPage.Concat(secondPage));

        using JsonDocument summary = await AdminJsonAsync("/admin/usage/summary?by=model");
        JsonElement gpt = Assert.Single(summary.RootElement.GetProperty("data").EnumerateArray());
        Assert.Equal(3, gpt.GetProperty("requests").GetInt64());
        Assert.Equal(billed.Sum(r => r.Cost!.Value), gpt.GetProperty("cost").GetDecimal());
        Assert.Equal(billed.Sum(r => r.Usage.InputTokens), gpt.GetProperty("input_tokens").GetInt64());

        // The admin page's reads, from PostgreSQL too.
        string from = Uri.EscapeDataString(billed.Min(r => r.StartedAt).AddMinutes(-5).ToString("O", CultureInfo.InvariantCulture));
        using JsonDocument series = await AdminJsonAsync($"/admin/usage/series?by=key&from={from}");
        Assert.Equal("ledger", series.RootElement.GetProperty("source").GetString());
        JsonElement key = Assert.Single(series.RootElement.GetProperty("totals").EnumerateArray());
        Assert.Equal("team-a", key.GetProperty("group").GetString());
        Assert.Equal(billed.Sum(r => r.Cost!.Value), key.GetProperty("cost").GetDecimal());
        using JsonDocument top = await AdminJsonAsync($"/admin/usage/top?from={from}");
        Assert.Equal(
            billed.OrderByDescending(r => r.Cost).ThenByDescending(r => r.StartedAt.ToUnixTimeMilliseconds()).ThenByDescending(r => r.RequestId, StringComparer.Ordinal).Select(r => r.RequestId),
            top.RootElement.GetProperty("data").EnumerateArray().Select(r => r.GetProperty("request_id").GetString()));
        using JsonDocument outcomes = await AdminJsonAsync($"/admin/usage/outcomes?from={from}");
        JsonElement outcome = Assert.Single(outcomes.RootElement.GetProperty("data").EnumerateArray());
        Assert.Equal(("upstream", "completed", 3L), (outcome.GetProperty("ended_by").GetString(), outcome.GetProperty("outcome").GetString(), outcome.GetProperty("requests").GetInt64()));
    }

    [Fact]
    public async Task TheRelay_IsReadyWhileTheDatabaseTakesWrites_NotWhileItRefuses_AndLosesNothingMeanwhile()
    {
        await RelayAsync(1);
        Assert.Equal(HttpStatusCode.OK, (await ReadinessAsync()).Status);

        await _database.ScalarAsync("ALTER TABLE usage_records RENAME TO usage_records_away");
        LedgerWriter writer = Relay.App.Services.GetRequiredService<LedgerWriter>();
        using (HttpResponseMessage relayed = await Relay.Http.SendAsync(Post("/v1/chat/completions", """{"model":"openai/gpt-4o","messages":[]}""")))
        {
            Assert.Equal(HttpStatusCode.OK, relayed.StatusCode); // a failing ledger fails no request
        }

        await WaitUntilAsync(() => writer.LastFailure is not null, "the ledger's failed write");
        (HttpStatusCode status, JsonElement ledger) = await ReadinessAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("failing", ledger.GetProperty("status").GetString());
        Assert.Contains("usage_records", ledger.GetProperty("reason").GetString(), StringComparison.Ordinal);

        await _database.ScalarAsync("ALTER TABLE usage_records_away RENAME TO usage_records");
        await WaitUntilAsync(() => writer.Acknowledged == 2, "the batch written once the table is back");
        Assert.Equal(HttpStatusCode.OK, (await ReadinessAsync()).Status);
        Assert.Equal(2L, await _database.ScalarAsync("SELECT count(*) FROM usage_records"));
    }

    private async Task<BillingRecord[]> RelayAsync(int count)
    {
        for (int i = 0; i < count; i++)
        {
            using HttpResponseMessage response = await Relay.Http.SendAsync(Post("/v1/chat/completions", """{"model":"openai/gpt-4o","messages":[]}"""));
            response.EnsureSuccessStatusCode();
        }

        LedgerWriter writer = Relay.App.Services.GetRequiredService<LedgerWriter>();
        await WaitUntilAsync(() => writer.Acknowledged >= count, $"{count} records committed to PostgreSQL");
        BillingRecord[] billed = [.. Relay.Billing.Records.Where(r => r.RequestedModel == "openai/gpt-4o")];
        Assert.Equal(count, billed.Length);
        return billed;
    }

    private async Task<(HttpStatusCode Status, JsonElement Ledger)> ReadinessAsync()
    {
        using HttpResponseMessage response = await Relay.Http.GetAsync("/readyz");
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, body.RootElement.GetProperty("checks").GetProperty("ledger").Clone());
    }

    private async Task<JsonDocument> AdminJsonAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", RelayTestHost.AdminKey);
        using HttpResponseMessage response = await Relay.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }
}
