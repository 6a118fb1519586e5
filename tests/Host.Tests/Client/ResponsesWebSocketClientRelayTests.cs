using System.Text.Json;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Client;

namespace AkkaProxy.Host.Tests.Client;

/// <summary>The Responses WebSocket client through the relay's own <c>GET /v1/responses</c>, against the fake provider. Every test ends with the relay's leak check.</summary>
public sealed class ResponsesWebSocketClientRelayTests : RelayTestBase
{
    [Fact]
    public async Task ThroughTheRelay_ChainsTurns_SurvivesTheUpstreamClosing_AndIsBilledPerTurn()
    {
        await using ResponsesWebSocketClient client = Client();
        await using ResponsesConversation conversation = client.StartConversation();

        await TurnAsync(conversation, "openai/gpt-4o");
        await TurnAsync(conversation, "openai/ws-close"); // the upstream closes with 4000 after it; the relay passes the close on
        await WaitUntilAsync(() => !Upstream.Socket.ClosesReceived.IsEmpty, "the relay to answer the upstream's close");
        List<ResponsesEvent> third = await TurnAsync(conversation, "openai/gpt-4o");

        Assert.Equal([null, "resp_ws_1", "resp_ws_2"], Upstream.Socket.Received.Select(PreviousOf));
        Assert.Equal(2, conversation.Connections);
        Assert.Equal("resp_ws_2", third[^1].Json.GetProperty("response").GetProperty("previous_response_id").GetString());
        Assert.Equal("resp_ws_1", conversation.LastResponseId); // the new upstream socket's first response
        BillingRecord last = await Relay.Billing.WaitForAsync(r => r.PreviousResponseId == "resp_ws_2");
        Assert.Equal(ExchangeOutcome.Completed, last.Outcome);
        Assert.Equal("team-a", last.KeyId);
    }

    [Fact]
    public async Task ThroughTheRelay_AnEarlyStoppedTurnDoesNotLeakIntoTheNext()
    {
        await using ResponsesWebSocketClient client = Client();
        await using ResponsesConversation conversation = client.StartConversation();
        await foreach (ResponsesEvent e in conversation.StreamAsync(Turn("openai/gpt-4o")))
        {
            break;
        }

        List<ResponsesEvent> next = await TurnAsync(conversation, "openai/gpt-4o");

        Assert.Equal("response.created", next[0].Type);
        Assert.All(next.Where(e => e.ResponseId is not null), e => Assert.Equal("resp_ws_2", e.ResponseId));
        Assert.Equal(6, next.Count);
        Assert.Equal(1, conversation.Connections);
    }

    private ResponsesWebSocketClient Client() => new(new ResponsesWebSocketClientOptions
    {
        Endpoint = new Uri(Relay.BaseUrl, "/v1/responses"),
        ApiKey = RelayTestHost.RelayKey,
        ReadTimeout = TimeSpan.FromSeconds(30),
    });

    private static ResponsesTurn Turn(string model) =>
        ResponsesTurn.FromJson($$"""{"model":"{{model}}","store":false,"input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"next"}]}]}""");

    private static async Task<List<ResponsesEvent>> TurnAsync(ResponsesConversation conversation, string model)
    {
        var events = new List<ResponsesEvent>();
        await foreach (ResponsesEvent e in conversation.StreamAsync(Turn(model)))
        {
            events.Add(e);
        }

        return events;
    }

    private static string? PreviousOf(string message)
    {
        using JsonDocument doc = JsonDocument.Parse(message);
        return doc.RootElement.TryGetProperty("previous_response_id", out JsonElement p) ? p.GetString() : null;
    }
}
