using System.Globalization;
using System.Text;
using AkkaProxy.Hosting.Ledger;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Supervision;
using Microsoft.Extensions.DependencyInjection;
using PuppeteerSharp;

namespace AkkaProxy.Host.Tests.Browser;

/// <summary>
/// The admin page in real headless Chromium, against a real host with real records (relayed through
/// the fake upstream, priced from the test configuration): the figures it shows are the records',
/// and a record billed while the page is open appears in its live list. Saves a screenshot
/// (<c>TestResults/admin-page.png</c> beside the test assembly).
/// </summary>
public sealed class AdminPageBrowserTests : RelayTestBase
{
    private const string TeamBKey = "relay-key-team-b";

    protected override string ExtraHocon => $$"""akkaproxy.auth.keys { team-b { key = "{{TeamBKey}}" } }""";

    public static string ScreenshotPath => Path.Combine(AppContext.BaseDirectory, "TestResults", "admin-page.png");

    private async Task<BillingRecord> RelayAsync(string path, string json, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new("Bearer", key);
        request.Headers.Add("anthropic-version", "2023-06-01");
        using HttpResponseMessage response = await Relay.Http.SendAsync(request);
        await response.Content.ReadAsStringAsync();
        string id = response.Headers.GetValues(HttpRelay.RequestIdHeader).Single();
        return await Relay.Billing.WaitForAsync(r => r.RequestId == id);
    }

    [Fact]
    public async Task ThePage_ShowsTheRecordsFigures_AndARecordBilledWhileItIsOpen_Live()
    {
        const string chat = """{"model":"openai/gpt-4o","messages":[{"role":"user","content":"hi"}]}""";
        BillingRecord[] billed =
        [
            await RelayAsync("/v1/chat/completions", chat, RelayTestHost.RelayKey),
            await RelayAsync("/v1/chat/completions", chat, RelayTestHost.RelayKey),
            await RelayAsync("/v1/responses", """{"model":"openai/gpt-4o","input":"hi"}""", TeamBKey),
            await RelayAsync("/v1/messages", """{"model":"anthropic/claude-sonnet-4","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}""", TeamBKey),
            await RelayAsync("/v1/chat/completions", """{"model":"openai/status-500","messages":[]}""", RelayTestHost.RelayKey),
        ];
        Assert.All(billed.Take(4), r => Assert.True(r.Cost > 0m, $"{r.RequestedModel} is priced"));
        Assert.Equal(ExchangeOutcome.UpstreamError, billed[4].Outcome);
        Assert.Equal(EndedBy.Upstream, billed[4].EndedBy);
        LedgerWriter ledger = Relay.App.Services.GetRequiredService<LedgerWriter>();
        await WaitUntilAsync(() => ledger.Acknowledged >= billed.Length, "the records committed to the ledger");

        await using HeadlessChromium chromium = await HeadlessChromium.LaunchAsync();
        await using IPage page = await chromium.Browser.NewPageAsync();
        var problems = new List<string>();
        page.Console += (_, e) => { if (e.Message.Type is ConsoleType.Error or ConsoleType.Warning) problems.Add($"{e.Message.Text} ({e.Message.Location?.URL})"); };
        page.PageError += (_, e) => problems.Add(e.Message);
        await page.SetViewportAsync(new ViewPortOptions { Width = 1440, Height = 1000 });
        await page.AuthenticateAsync(new Credentials { Username = "admin", Password = RelayTestHost.AdminKey }); // Basic, as a person would type it
        IResponse? response = await page.GoToAsync(new Uri(Relay.BaseUrl, "/admin").AbsoluteUri);
        Assert.Equal(System.Net.HttpStatusCode.OK, response!.Status);

        await WaitAsync(page, "document.body.dataset.state === 'ready'");
        await WaitAsync(page, "document.querySelector('#live-state').dataset.state === 'open'");

        // Cost and tokens per key, in the table beside the chart: exactly the records'.
        foreach (IGrouping<string?, BillingRecord> key in billed.GroupBy(r => r.KeyId))
        {
            Dictionary<string, string> row = await DataAsync(page, $"#table-key tr[data-group='{key.Key}']");
            Assert.Equal(key.Sum(r => r.Cost ?? 0m), Decimal(row["cost"]));
            Assert.Equal(key.LongCount(), long.Parse(row["requests"], CultureInfo.InvariantCulture));
            Assert.Equal(key.Sum(r => r.Usage.InputTokens), long.Parse(row["inputTokens"], CultureInfo.InvariantCulture));
        }

        Assert.Equal(3, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#table-model tr[data-group]').length")); // gpt-4o, claude, status-500
        Assert.Equal(billed.Sum(r => r.Usage.InputTokens), long.Parse((await DataAsync(page, "#total-input"))["tokens"], CultureInfo.InvariantCulture));
        Assert.Equal(billed.Sum(r => r.Usage.OutputTokens), long.Parse((await DataAsync(page, "#total-output"))["tokens"], CultureInfo.InvariantCulture));
        Assert.Equal(billed.Sum(r => r.Cost ?? 0m), Decimal((await DataAsync(page, "#total-cost"))["cost"]));
        Assert.True(await page.EvaluateExpressionAsync<int>("Chart.getChart('chart-key').data.datasets.length") == 2, "one dataset per key in the chart");

        // The most expensive request on top.
        BillingRecord dearest = billed.Where(r => r.Cost is not null).OrderByDescending(r => r.Cost).First();
        Dictionary<string, string> top = await DataAsync(page, "#top tbody tr:first-child");
        Assert.Equal(dearest.RequestId, top["requestId"]);
        Assert.Equal(dearest.Cost, Decimal(top["cost"]));
        Assert.Equal(4, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#top tbody tr').length")); // the unpriced failure is not ranked

        // Error rates by side: the one failing upstream request out of five.
        Dictionary<string, string> upstream = await DataAsync(page, "#errors tr[data-side='upstream']");
        Assert.Equal("1", upstream["errors"]);
        Assert.Equal("5", upstream["requests"]);
        Assert.Equal(0.2, double.Parse(upstream["rate"], CultureInfo.InvariantCulture));
        Assert.Equal("0", (await DataAsync(page, "#errors tr[data-side='client']"))["errors"]);
        Assert.Equal("20.0%", await page.EvaluateExpressionAsync<string>("document.querySelector(\"#errors tr[data-side='upstream'] td:last-child\").textContent"));

        // One more request while the page is open: it arrives in the live list, with its figures, and the charts follow.
        BillingRecord live = await RelayAsync("/v1/chat/completions", chat, TeamBKey);
        await WaitAsync(page, $"document.querySelector(\"#live li[data-request-id='{live.RequestId}']\") !== null");
        Dictionary<string, string> item = await DataAsync(page, $"#live li[data-request-id='{live.RequestId}']");
        Assert.Equal(live.Cost, Decimal(item["cost"]));
        Assert.Equal(live.Usage.InputTokens.ToString(CultureInfo.InvariantCulture), item["inputTokens"]);
        Assert.Equal(live.Usage.OutputTokens.ToString(CultureInfo.InvariantCulture), item["outputTokens"]);
        Assert.Equal("team-b", item["key"]);
        Assert.Equal(live.RequestId, await page.EvaluateExpressionAsync<string>("document.querySelector('#live li:first-child').dataset.requestId")); // newest on top
        await WaitUntilAsync(() => ledger.Acknowledged >= billed.Length + 1, "the live record committed to the ledger");
        await WaitAsync(page, "document.querySelector(\"#table-key tr[data-group='team-b']\").dataset.requests === '3'");
        decimal teamB = billed.Where(r => r.KeyId == "team-b").Sum(r => r.Cost ?? 0m) + live.Cost!.Value;
        Assert.Equal(teamB, Decimal((await DataAsync(page, "#table-key tr[data-group='team-b']"))["cost"]));

        Directory.CreateDirectory(Path.GetDirectoryName(ScreenshotPath)!);
        await page.ScreenshotAsync(ScreenshotPath, new ScreenshotOptions { FullPage = true });
        Assert.True(new FileInfo(ScreenshotPath).Length > 10_000, "a screenshot with something on it");
        Assert.Empty(problems); // no script error, no CSP violation
    }

    private static decimal Decimal(string text) => decimal.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>Waits for a condition of the page's DOM (a bound of 30 s, not a timing assertion).</summary>
    private static Task WaitAsync(IPage page, string condition) =>
        page.WaitForFunctionAsync($"() => {{ try {{ return {condition}; }} catch {{ return false; }} }}", new WaitForFunctionOptions { Timeout = 30_000, PollingInterval = 50 });

    private static async Task<Dictionary<string, string>> DataAsync(IPage page, string selector) =>
        await page.EvaluateFunctionAsync<Dictionary<string, string>>("s => { const e = document.querySelector(s); return e ? Object.assign({}, e.dataset) : null; }", selector)
        ?? throw new InvalidOperationException($"Nothing on the page matches {selector}.");
}
