using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Host.Tests.RealClients;

/// <summary>
/// Claude Code (<c>@anthropic-ai/claude-code</c>, from tests/node) runs <c>claude -p</c> through the relay
/// against the fake upstream over Anthropic Messages, with a tool call: the fake asks its <c>Read</c>
/// tool for a file, Claude Code reads it and sends its content back, the fake answers from it. Every
/// request it made is billed once, with its step's tokens.
/// </summary>
public sealed class ClaudeCodeTests : RelayTestBase
{
    [Fact]
    public async Task ClaudePrint_WithAToolCall_OverMessages_IsRelayed_AndEachRequestIsBilledOnce()
    {
        string home = Path.Combine(Relay.DataDirectory, "claude-home");
        string workspace = Path.Combine(home, "workspace");
        Directory.CreateDirectory(workspace);
        string note = Path.Combine(workspace, "note.txt");
        await File.WriteAllTextAsync(note, FakeToolTurns.ToolResult + "\n");
        ProcessResult claude = await ChildProcess.RunAsync(
            NodeScript.Tool("claude"),
            ["-p", $"{FakeToolTurns.ReadMarker}{note}", "--output-format", "json", "--model", "claude-sonnet-4-5"],
            workspace,
            TimeSpan.FromMinutes(2),
            new Dictionary<string, string>
            {
                ["HOME"] = home,
                ["CLAUDE_CONFIG_DIR"] = Path.Combine(home, ".claude"),
                ["ANTHROPIC_BASE_URL"] = Relay.BaseUrl.ToString().TrimEnd('/'),
                ["ANTHROPIC_API_KEY"] = RelayTestHost.RelayKey,
                ["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1",
                ["DISABLE_AUTOUPDATER"] = "1",
            });
        string requests = string.Join("\n", Relay.Billing.Records.Select(r => $"{r.RequestedModel} {r.Outcome} {r.HttpStatus} {r.ErrorCode} in {r.Usage.InputTokens}"));
        Assert.True(claude.ExitCode == 0, claude.Output + "\n--- records ---\n" + requests);
        // Claude Code read the file the fake's tool call named and sent its content back through the relay.
        Assert.True(claude.Stdout.Contains(FakeToolTurns.AnswerSeen, StringComparison.Ordinal), claude.Output + "\n--- records ---\n" + requests);

        // The tool call and the answer, each billed once, completed, with its own tokens; any other
        // request Claude Code made is billed once too.
        await Relay.Billing.WaitForAsync(r => r.Usage.CachedInputTokens == FakeToolTurns.AnswerUsage.Cached);
        await Relay.Billing.DrainAsync();
        BillingRecord[] records = [.. Relay.Billing.Records];
        Assert.Equal(records.Length, records.Select(r => r.RequestId).Distinct().Count());
        Assert.All(records, record =>
        {
            Assert.Equal(ApiKind.AnthropicMessages, record.Api);
            Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
            Assert.Equal(UsageStatus.Reported, record.Usage.Status);
        });
        BillingRecord call = Assert.Single(records, r => r.Usage.OutputTokens == FakeToolTurns.CallUsage.Output);
        BillingRecord answer = Assert.Single(records, r => r.Usage.OutputTokens == FakeToolTurns.AnswerUsage.Output);
        Assert.Equal(FakeToolTurns.CallUsage.Input, call.Usage.InputTokens);
        Assert.Equal(FakeToolTurns.AnswerUsage.Input + FakeToolTurns.AnswerUsage.Cached, answer.Usage.InputTokens); // input counts the cache reads
        Assert.Equal(FakeToolTurns.AnswerUsage.Cached, answer.Usage.CachedInputTokens);
    }
}
