using System.Diagnostics;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Host.Tests.RealClients;

/// <summary>Codex CLI (<c>@openai/codex</c>, from tests/node) runs <c>codex exec</c> through the relay against the fake upstream over Responses SSE; the ledger has one record per turn with the fake's tokens.</summary>
public sealed class CodexCliTests : RelayTestBase
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CodexExec_IsRelayed_AndBilledOnce(bool webSocketMode)
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
        (int exit, string output) = await RunCodexAsync(home, ["exec", "--skip-git-repo-check", "--json", "say hello"]);
        Assert.True(exit == 0, output);
        // Codex's own account of the turn: the fake's tokens, as the upstream reported them through the
        // relay. Over SSE also the fake's answer as the agent's message (the WebSocket fake sends deltas
        // without the output items Codex builds a message from).
        if (!webSocketMode)
        {
            Assert.True(output.Contains($"\"text\":\"{FakeUpstream.Text}\"", StringComparison.Ordinal), output);
            Assert.True(output.Contains($"\"turn.completed\",\"usage\":{{\"input_tokens\":{FakeStreams.RespInput},", StringComparison.Ordinal), output);
            BillingRecord record = await Relay.Billing.SingleForAsync("openai/gpt-4o");
            Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
            Assert.Equal(UsageStatus.Reported, record.Usage.Status);
            Assert.Equal(FakeStreams.RespInput, record.Usage.InputTokens);
            Assert.Null(record.Turn);
            return;
        }

        // Over the WebSocket mode Codex first warms the socket up (a response.create with generate: false),
        // then sends the turn: one record for each, on one socket, with each turn's own tokens.
        Assert.True(output.Contains($"\"turn.completed\",\"usage\":{{\"input_tokens\":{FakeResponsesSocket.Usage(2).Input},", StringComparison.Ordinal), output);
        await Relay.Billing.WaitForAsync(r => r.Turn == 2);
        await Relay.Billing.DrainAsync();
        BillingRecord[] turns = [.. Relay.Billing.Records.Where(r => r.RequestedModel == "openai/gpt-4o").OrderBy(r => r.Turn)];
        Assert.Equal([1, 2], turns.Select(r => r.Turn ?? 0));
        Assert.All(turns, r => Assert.Equal(ExchangeOutcome.Completed, r.Outcome));
        Assert.Equal(FakeResponsesSocket.Usage(1, generate: false).Output, turns[0].Usage.OutputTokens);
        Assert.Equal(FakeResponsesSocket.Usage(2).Input, turns[1].Usage.InputTokens);
        Assert.Equal(FakeResponsesSocket.Usage(2).Output, turns[1].Usage.OutputTokens);
    }

    private static async Task<(int Exit, string Output)> RunCodexAsync(string home, string[] arguments)
    {
        string codex = Path.Combine(RepoPaths.Root, "tests", "node", "node_modules", ".bin", "codex");
        var start = new ProcessStartInfo(codex, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, WorkingDirectory = home };
        start.Environment["CODEX_HOME"] = home;
        start.Environment["AKKAPROXY_RELAY_KEY"] = RelayTestHost.RelayKey;
        start.Environment["OPENAI_API_KEY"] = "";
        using Process process = Process.Start(start)!;
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (process.ExitCode, await stdout + "\n--- stderr ---\n" + await stderr);
    }
}
