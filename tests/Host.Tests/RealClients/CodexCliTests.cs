using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Host.Tests.RealClients;

/// <summary>
/// Codex CLI (<c>@openai/codex</c>, from tests/node) runs <c>codex exec</c> through the relay against the
/// fake upstream, over Responses SSE and over the WebSocket mode, with a tool call: the fake asks for a
/// shell command, Codex runs it and sends its output back, the fake answers from it. The ledger has one
/// record per request or WebSocket turn, each with its step's tokens.
/// </summary>
public sealed class CodexCliTests : RelayTestBase
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CodexExec_WithAToolCall_IsRelayed_AndEachTurnIsBilledOnce(bool webSocketMode)
    {
        string home = Path.Combine(Relay.DataDirectory, "codex-home");
        Directory.CreateDirectory(home);
        await File.WriteAllTextAsync(Path.Combine(home, "config.toml"), $"""
            model = "openai/gpt-4o"
            model_provider = "relay"
            [model_providers.relay]
            name = "AkkaProxy"
            base_url = "{Relay.BaseUrl.ToString().TrimEnd('/')}/v1"
            env_key = "AKKAPROXY_RELAY_KEY"
            wire_api = "responses"
            supports_websockets = {(webSocketMode ? "true" : "false")}
            """);
        ProcessResult codex = await ChildProcess.RunAsync(
            NodeScript.Tool("codex"),
            ["exec", "--skip-git-repo-check", "--json", $"{FakeToolTurns.RunMarker} {FakeToolTurns.Command}"],
            home,
            TimeSpan.FromMinutes(2),
            new Dictionary<string, string> { ["CODEX_HOME"] = home, ["AKKAPROXY_RELAY_KEY"] = RelayTestHost.RelayKey, ["OPENAI_API_KEY"] = "" });
        string records = string.Join("\n", Relay.Billing.Records.Select(r => $"turn {r.Turn} {r.RequestedModel} {r.Outcome} in {r.Usage.InputTokens} out {r.Usage.OutputTokens}"));
        Assert.True(codex.ExitCode == 0, codex.Output + "\n--- records ---\n" + records);

        // Codex ran the command the fake's tool call asked for, and its output came back through the
        // relay: the fake's answer says it saw it, and Codex shows that answer.
        Assert.True(codex.Stdout.Contains("\"type\":\"command_execution\"", StringComparison.Ordinal), codex.Output);
        Assert.True(codex.Stdout.Contains(FakeToolTurns.AnswerSeen, StringComparison.Ordinal), codex.Output + "\n--- records ---\n" + records);

        BillingRecord[] billed;
        if (webSocketMode)
        {
            // One socket: Codex's warm-up (response.create with generate: false), the tool call, the answer.
            await Relay.Billing.WaitForAsync(r => r.Turn == 3);
            await Relay.Billing.DrainAsync();
            BillingRecord[] turns = [.. Relay.Billing.Records.Where(r => r.RequestedModel == "openai/gpt-4o").OrderBy(r => r.Turn)];
            Assert.Equal([1, 2, 3], turns.Select(r => r.Turn ?? 0));
            Assert.Equal(FakeResponsesSocket.Usage(1, generate: false).Output, turns[0].Usage.OutputTokens);
            billed = turns[1..];
        }
        else
        {
            await Relay.Billing.WaitForAsync(r => r.Usage.InputTokens == FakeToolTurns.AnswerUsage.Input);
            await Relay.Billing.DrainAsync();
            billed = [.. Relay.Billing.Records.Where(r => r.RequestedModel == "openai/gpt-4o")];
            Assert.All(billed, r => Assert.Null(r.Turn));
        }

        Assert.Equal(2, billed.Length);
        Assert.Equal(billed.Length, billed.Select(r => r.RequestId).Distinct().Count());
        Assert.All(billed, r => Assert.Equal(ExchangeOutcome.Completed, r.Outcome));
        Assert.All(billed, r => Assert.Equal(UsageStatus.Reported, r.Usage.Status));
        Assert.Equal(
            [(FakeToolTurns.CallUsage.Input, FakeToolTurns.CallUsage.Output), (FakeToolTurns.AnswerUsage.Input, FakeToolTurns.AnswerUsage.Output)],
            billed.Select(r => ((int)r.Usage.InputTokens, (int)r.Usage.OutputTokens)));
        Assert.Equal(FakeToolTurns.AnswerUsage.Cached, billed[1].Usage.CachedInputTokens);
    }
}
