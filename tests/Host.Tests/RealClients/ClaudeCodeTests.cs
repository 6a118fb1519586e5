using System.Diagnostics;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Host.Tests.RealClients;

/// <summary>Claude Code (<c>@anthropic-ai/claude-code</c>, from tests/node) runs <c>claude -p</c> through the relay against the fake upstream over Anthropic Messages; its request is billed once with the fake's tokens.</summary>
public sealed class ClaudeCodeTests : RelayTestBase
{
    [Fact]
    public async Task ClaudePrint_OverMessages_IsRelayed_AndBilledOnce()
    {
        string home = Path.Combine(Relay.DataDirectory, "claude-home");
        Directory.CreateDirectory(home);
        string claude = Path.Combine(RepoPaths.Root, "tests", "node", "node_modules", ".bin", "claude");
        var start = new ProcessStartInfo(claude, ["-p", "say hello", "--output-format", "json", "--model", "claude-sonnet-4-5"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = home,
        };
        start.Environment["HOME"] = home;
        start.Environment["CLAUDE_CONFIG_DIR"] = Path.Combine(home, ".claude");
        start.Environment["ANTHROPIC_BASE_URL"] = Relay.BaseUrl.ToString().TrimEnd('/');
        start.Environment["ANTHROPIC_API_KEY"] = RelayTestHost.RelayKey;
        start.Environment["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1";
        start.Environment["DISABLE_AUTOUPDATER"] = "1";
        using Process process = Process.Start(start)!;
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        string output = await stdout + "\n--- stderr ---\n" + await stderr;
        string requests = string.Join("\n", Relay.Billing.Records.Select(r => $"{r.RequestedModel} {r.Outcome} {r.HttpStatus} {r.ErrorCode}"));
        Assert.True(process.ExitCode == 0, output + "\n--- records ---\n" + requests);
        Assert.True(output.Contains(FakeUpstream.Text, StringComparison.Ordinal), output + "\n--- records ---\n" + requests);

        // Every Messages request Claude Code made was billed once, completed, with the fake's tokens.
        await Relay.Billing.WaitForAsync(r => r.RequestedModel == "claude-sonnet-4-5");
        await Relay.Billing.DrainAsync();
        BillingRecord[] records = [.. Relay.Billing.Records];
        Assert.NotEmpty(records);
        Assert.Equal(records.Length, records.Select(r => r.RequestId).Distinct().Count());
        Assert.All(records, record =>
        {
            Assert.Equal(ApiKind.AnthropicMessages, record.Api);
            Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
            Assert.Equal(UsageStatus.Reported, record.Usage.Status);
            Assert.Equal(FakeStreams.AnthInput + FakeStreams.AnthCacheWrite + FakeStreams.AnthCacheRead, record.Usage.InputTokens); // input counts the cache reads and writes
            Assert.Equal(FakeStreams.AnthCacheWrite, record.Usage.CacheWriteTokens);
        });
    }
}
