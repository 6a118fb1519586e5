using System.Net;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AkkaProxy.Host.Tests.Security;

/// <summary>
/// What the relay logs, every category at every level (the relay's, ASP.NET Core's, Kestrel's, Akka's),
/// captured by a real logger provider on the real host while HTTP, SSE, WebSocket, failing-upstream,
/// wrong-key and admin requests pass: no provider, relay or admin key, no prompt and no completion
/// text in any message, exception, structured value or scope; and every line of the relay about a
/// request carries the request id of its billing record.
/// </summary>
public sealed class LogSafetyTests : RelayTestBase
{
    private const string Prompt = "PROMPT-zanzibar-7731 tell me a secret";
    private const string WrongKey = "sk-presented-wrong-key-quokka-99";

    private readonly CapturingLoggerProvider _logs = new();

    protected override string ExtraHocon => """
        Logging.LogLevel { Default = Trace, "Microsoft.AspNetCore" = Trace, "System.Net.Http.HttpClient" = Trace }
        akka.loglevel = DEBUG
        """;

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<ILoggerProvider>(_logs);

    [Fact]
    public async Task NoKeyPromptOrCompletionIsEverLogged_AndRequestLinesCarryTheirRecordsRequestId()
    {
        string messages = $$"""[{"role":"user","content":"{{Prompt}}"}]""";
        using (HttpResponseMessage json = await Relay.Http.SendAsync(Post("/v1/chat/completions", $$"""{"model":"openai/gpt-4o","messages":{{messages}}}""")))
        {
            Assert.Contains(FakeUpstream.Text, await json.Content.ReadAsStringAsync(), StringComparison.Ordinal); // the completion passed through
        }

        await PostStreamAsync("/v1/chat/completions", $$"""{"model":"openai/gpt-4o-stream","stream":true,"messages":{{messages}}}""");
        await PostStreamAsync("/v1/responses", $$"""{"model":"openai/gpt-4o-responses","stream":true,"input":"{{Prompt}}"}""");
        using (HttpRequestMessage anthropic = Post("/v1/messages", $$"""{"model":"anthropic/claude-logs","max_tokens":64,"stream":true,"messages":{{messages}}}"""))
        {
            anthropic.Headers.Authorization = null;
            anthropic.Headers.Add("x-api-key", RelayTestHost.RelayKey);
            using HttpResponseMessage response = await Relay.Http.SendAsync(anthropic);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await response.Content.ReadAsStringAsync();
        }

        await using (RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl))
        {
            for (int turn = 0; turn < 2; turn++)
            {
                await socket.SendAsync($$"""{"type":"response.create","model":"openai/gpt-4o","input":"{{Prompt}}"}""");
                await socket.ReceiveUntilAsync("response.completed");
            }
        }

        using (HttpResponseMessage unreachable = await Relay.Http.SendAsync(Post("/v1/chat/completions", $$"""{"model":"deadend/gpt-4o","messages":{{messages}}}""")))
        {
            Assert.Equal(HttpStatusCode.BadGateway, unreachable.StatusCode);
        }

        await PostStreamAsync("/v1/chat/completions", $$"""{"model":"openai/reset","stream":true,"messages":{{messages}}}""");
        using (HttpResponseMessage failed = await Relay.Http.SendAsync(Post("/v1/chat/completions", $$"""{"model":"openai/status-500","messages":{{messages}}}""")))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        }

        using (HttpRequestMessage wrong = Post("/v1/chat/completions", $$"""{"model":"openai/gpt-4o","messages":{{messages}}}"""))
        {
            wrong.Headers.Authorization = new("Bearer", WrongKey);
            using HttpResponseMessage refused = await Relay.Http.SendAsync(wrong);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using (var admin = new HttpRequestMessage(HttpMethod.Get, "/admin/usage"))
        {
            admin.Headers.Authorization = new("Bearer", RelayTestHost.AdminKey);
            using HttpResponseMessage usage = await Relay.Http.SendAsync(admin);
            Assert.Equal(HttpStatusCode.OK, usage.StatusCode);
        }

        BillingRecord[] records =
        [
            .. await Task.WhenAll(new[] { "openai/gpt-4o-stream", "openai/gpt-4o-responses", "anthropic/claude-logs", "deadend/gpt-4o", "openai/reset", "openai/status-500" }
                .Select(model => Relay.Billing.WaitForAsync(r => r.RequestedModel == model))),
            await Relay.Billing.WaitForAsync(r => r.Turn == 2),
        ];
        await Relay.Billing.DrainAsync(); // every record reached every sink, the log sink too
        List<CapturingLoggerProvider.LogEntry> entries = [.. _logs.Entries];

        // Something was captured at every level the relay writes, so the absences below mean something.
        Assert.Contains(entries, entry => entry.Category.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) && entry.Level <= LogLevel.Debug);
        Assert.Contains(entries, entry => entry.Category.StartsWith("Akka", StringComparison.Ordinal));
        string[] secrets = [RelayTestHost.RelayKey, RelayTestHost.OpenAIUpstreamKey, RelayTestHost.AnthropicUpstreamKey, RelayTestHost.AdminKey, WrongKey, "PROMPT-zanzibar", FakeUpstream.Text];
        foreach (CapturingLoggerProvider.LogEntry entry in entries)
        {
            foreach (string text in entry.Texts)
            {
                foreach (string secret in secrets)
                {
                    Assert.False(text.Contains(secret, StringComparison.Ordinal), $"'{secret}' was logged by {entry.Category} ({entry.Level}): {text}");
                }
            }
        }

        // The relay's lines about requests: each names the request, by the id its billing record has.
        HashSet<string> ids = [.. Relay.Billing.Records.Select(record => record.RequestId)];
        List<CapturingLoggerProvider.LogEntry> relayLines = [.. entries.Where(entry => entry.Category.StartsWith("AkkaProxy.Pipeline.Supervision", StringComparison.Ordinal) || entry.Category.StartsWith("AkkaProxy.Hosting.Billing", StringComparison.Ordinal))];
        relayLines.RemoveAll(entry => entry.Value("RequestId")?.StartsWith(CapturingBillingSink.SentinelPrefix, StringComparison.Ordinal) == true); // the test kit's own
        Assert.All(relayLines, entry => Assert.Contains(entry.Value("RequestId") ?? $"(none in: {entry.Message})", ids));
        foreach (BillingRecord record in records)
        {
            Assert.Contains(relayLines, entry => entry.Category.EndsWith("LogBillingSink", StringComparison.Ordinal) && entry.Value("RequestId") == record.RequestId);
        }

        // The refused authentication is logged (README, docs/errors.md), without the key it presented.
        Assert.Contains(entries, entry => entry.Category == "AkkaProxy.Hosting.Auth" && entry.Level == LogLevel.Warning && entry.Message.Contains("not one of this relay's", StringComparison.Ordinal));

        BillingRecord deadend = records.Single(record => record.RequestedModel == "deadend/gpt-4o");
        BillingRecord reset = records.Single(record => record.RequestedModel == "openai/reset");
        Assert.Contains(relayLines, entry => entry.Level == LogLevel.Warning && entry.Message.Contains("unreachable", StringComparison.Ordinal) && entry.Value("RequestId") == deadend.RequestId);
        Assert.Contains(relayLines, entry => entry.Level == LogLevel.Warning && entry.Message.Contains("mid-response", StringComparison.Ordinal) && entry.Value("RequestId") == reset.RequestId);
    }
}
