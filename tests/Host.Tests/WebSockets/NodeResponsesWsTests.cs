using System.Text.Json;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaProxy.Host.Tests.WebSockets;

/// <summary>
/// The official OpenAI Node SDK's <c>ResponsesWS</c> (npm <c>openai</c> + <c>ws</c>, installed by
/// scripts/setup-test-deps.sh) drives a three-turn conversation through the relay.
/// </summary>
public sealed class NodeResponsesWsTests : RelayTestBase
{

    [Fact]
    public async Task ThreeTurnConversation_WithTheOfficialNodeClient()
    {
        JsonElement[] lines = await NodeScript.RunAsync("responses-ws.mjs", new Dictionary<string, string>
        {
            ["RELAY_URL"] = Relay.BaseUrl.ToString().TrimEnd('/'),
            ["RELAY_KEY"] = RelayTestHost.RelayKey,
            ["MODEL"] = "openai/gpt-4o",
        });
        Assert.Equal(4, lines.Length);
        for (int turn = 1; turn <= 3; turn++)
        {
            JsonElement line = lines[turn - 1];
            Assert.Equal("response.completed", line.GetProperty("type").GetString());
            Assert.Equal(FakeResponsesSocket.ResponseId(turn), line.GetProperty("id").GetString());
            Assert.Equal("part 0part 1part 2", line.GetProperty("text").GetString());
            if (turn > 1)
            {
                Assert.Equal(FakeResponsesSocket.ResponseId(turn - 1), line.GetProperty("previous").GetString());
            }

            BillingRecord record = await Relay.Billing.WaitForAsync(r => r.Turn == turn);
            Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
            Assert.Equal(FakeResponsesSocket.ResponseId(turn), record.ResponseId);
            Assert.Equal(turn == 1 ? null : FakeResponsesSocket.ResponseId(turn - 1), record.PreviousResponseId);
            Assert.Equal(FakeResponsesSocket.Usage(turn).Output, record.Usage.OutputTokens);
        }

        Assert.True(lines[3].GetProperty("done").GetBoolean());
        Assert.All(Upstream.Socket.Received, m => Assert.Contains("\"model\":\"gpt-4o\"", m, StringComparison.Ordinal));
        await WaitUntilAsync(() => !Upstream.Socket.ClosesReceived.IsEmpty, "the upstream got no close");
        Assert.Equal((System.Net.WebSockets.WebSocketCloseStatus)1000, Upstream.Socket.ClosesReceived.Single().Status);
        Assert.Equal("node done", Upstream.Socket.ClosesReceived.Single().Reason);
    }
}
