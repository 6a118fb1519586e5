using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Pipeline.Client;
using Microsoft.Extensions.Time.Testing;

namespace AkkaProxy.Host.Tests.Client;

/// <summary>The Responses WebSocket client against the fake provider's socket on real Kestrel.</summary>
public sealed class ResponsesWebSocketClientTests : IAsyncLifetime
{
    private const string Key = "sk-client-test";
    private FakeUpstream _upstream = null!;

    private FakeResponsesSocket Fake => _upstream.Socket;

    public async Task InitializeAsync() => _upstream = await FakeUpstream.StartAsync();

    public async Task DisposeAsync()
    {
        Fake.TurnGate.Release(16); // a gated turn the test left waiting ends (its socket is gone)
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task SecondTurn_SendsTheLastResponseId_AndTheKey()
    {
        await using ResponsesWebSocketClient client = Client();
        await using ResponsesConversation conversation = client.StartConversation();

        List<ResponsesEvent> first = await TurnAsync(conversation, Turn("gpt-4o"));
        List<ResponsesEvent> second = await TurnAsync(conversation, Turn("gpt-4o"));

        Assert.Equal(["response.created", "response.in_progress", "response.output_text.delta", "response.output_text.delta", "response.output_text.delta", "response.completed"], first.Select(e => e.Type));
        Assert.True(first[^1].IsTerminal);
        Assert.Equal("resp_ws_1", first[^1].ResponseId);
        Assert.Equal([null, "resp_ws_1"], Fake.Received.Select(PreviousOf));
        Assert.All(Fake.Received, message => Assert.StartsWith("""{"type":"response.create",""", message, StringComparison.Ordinal));
        Assert.Equal("resp_ws_2", second[^1].ResponseId);
        Assert.Equal("resp_ws_2", conversation.LastResponseId);
        Assert.Equal("Bearer " + Key, Assert.Single(Fake.Handshakes)["Authorization"]);
        Assert.Equal(1, conversation.Connections);
    }

    [Fact]
    public async Task ExplicitNull_SuppressesTheLastId_AndAnExplicitIdIsSentAsGiven()
    {
        await using ResponsesWebSocketClient client = Client();
        await using ResponsesConversation conversation = client.StartConversation();

        await TurnAsync(conversation, Turn("gpt-4o"));
        await TurnAsync(conversation, ResponsesTurn.FromJson("""{"model":"gpt-4o","previous_response_id":null,"input":[]}"""));
        await TurnAsync(conversation, Turn("gpt-4o").WithoutPreviousResponse());
        await TurnAsync(conversation, Turn("gpt-4o").WithPreviousResponse("resp_chosen"));
        await TurnAsync(conversation, ResponsesTurn.FromJson(new JsonObject { ["model"] = "gpt-4o", ["previous_response_id"] = "resp_in_body" }));
        await TurnAsync(conversation, ResponsesTurn.FromJson(new JsonObject { ["model"] = "gpt-4o", ["input"] = new JsonArray() }));

        Assert.Equal([null, null, null, "resp_chosen", "resp_in_body", "resp_ws_5"], Fake.Received.Select(PreviousOf));
        Assert.DoesNotContain(Fake.Received.Skip(1).Take(2), message => message.Contains("previous_response_id", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("ws-close")]
    [InlineData("ws-close-1000")]
    [InlineData("ws-close-1001")]
    public async Task ServerClosesAfterATurn_NextTurnReconnects_AndStillSendsTheLastId(string closingModel)
    {
        await using ResponsesWebSocketClient client = Client();
        await using ResponsesConversation conversation = client.StartConversation();

        await TurnAsync(conversation, Turn(closingModel));
        await WaitUntilAsync(() => !Fake.ClosesReceived.IsEmpty, "the client to answer the server's close between turns");
        List<ResponsesEvent> next = await TurnAsync(conversation, Turn("gpt-4o"));

        Assert.Equal(2, conversation.Connections);
        Assert.Equal(2, Fake.Handshakes.Count);
        Assert.Equal([null, "resp_ws_1"], Fake.Received.Select(PreviousOf));
        Assert.Equal("response.completed", next[^1].Type);
        Assert.Equal("resp_ws_1", next[^1].Json.GetProperty("response").GetProperty("previous_response_id").GetString());
    }

    [Fact]
    public async Task ConnectionLimitError_EndsTheTurn_AndTheNextTurnGoesOnANewSocket()
    {
        await using ResponsesWebSocketClient client = Client();
        await using ResponsesConversation conversation = client.StartConversation();
        await TurnAsync(conversation, Turn("gpt-4o"));

        ResponsesEvent limit = Assert.Single(await TurnAsync(conversation, Turn("ws-limit")));
        await TurnAsync(conversation, Turn("gpt-4o"));

        Assert.Equal("error", limit.Type);
        Assert.Equal("websocket_connection_limit_reached", limit.ErrorCode);
        Assert.Equal(2, conversation.Connections);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, Assert.Single(Fake.ClosesReceived).Status);
        Assert.Equal([null, "resp_ws_1", "resp_ws_1"], Fake.Received.Select(PreviousOf));
    }

    [Fact]
    public async Task EarlyStop_TheRestIsDrained_AndNothingLeaksIntoTheNextTurn()
    {
        await using ResponsesWebSocketClient client = Client();
        await using ResponsesConversation conversation = client.StartConversation();

        await foreach (ResponsesEvent e in conversation.StreamAsync(Turn("gpt-4o")))
        {
            Assert.Equal("response.created", e.Type);
            break;
        }

        List<ResponsesEvent> next = await TurnAsync(conversation, Turn("gpt-4o"));

        Assert.Equal(["response.created", "response.in_progress", "response.output_text.delta", "response.output_text.delta", "response.output_text.delta", "response.completed"], next.Select(e => e.Type));
        Assert.All(next.Where(e => e.ResponseId is not null), e => Assert.Equal("resp_ws_2", e.ResponseId));
        Assert.Equal(Fake.Sent.Skip(6), next.Select(e => Encoding.UTF8.GetString(e.Utf8Json.Span)));
        Assert.Equal(1, conversation.Connections); // drained, not reconnected
        Assert.Equal([null, "resp_ws_1"], Fake.Received.Select(PreviousOf)); // the drained terminal event set the id
    }

    [Fact]
    public async Task EarlyStop_WhenTheRestDoesNotComeWithinTheDrainTimeout_TheNextTurnReconnects()
    {
        var time = new FakeTimeProvider();
        await using ResponsesWebSocketClient client = Client(time, drain: TimeSpan.FromSeconds(5));
        await using ResponsesConversation conversation = client.StartConversation();
        await foreach (ResponsesEvent e in conversation.StreamAsync(Turn("ws-gated")))
        {
            break; // response.created; the rest waits for the gate, which never opens
        }

        await using IAsyncEnumerator<ResponsesEvent> next = conversation.StreamAsync(Turn("gpt-4o")).GetAsyncEnumerator();
        ValueTask<bool> first = next.MoveNextAsync(); // draining: its read is pending
        time.Advance(TimeSpan.FromSeconds(5));

        Assert.True(await first);
        Assert.Equal("response.created", next.Current.Type);
        Assert.Equal(2, conversation.Connections);
        Assert.Equal(2, Fake.Handshakes.Count);
    }

    [Fact]
    public async Task ReadTimeout_ThrowsATimeoutExceptionNamingTheSetting_AndTheNextTurnReconnects()
    {
        var time = new FakeTimeProvider();
        await using ResponsesWebSocketClient client = Client(time);
        await using ResponsesConversation conversation = client.StartConversation();

        await using (IAsyncEnumerator<ResponsesEvent> turn = conversation.StreamAsync(Turn("ws-gated")).GetAsyncEnumerator())
        {
            Assert.True(await turn.MoveNextAsync());
            ValueTask<bool> stalled = turn.MoveNextAsync(); // the gate never opens
            time.Advance(TimeSpan.FromSeconds(30));

            TimeoutException timeout = await Assert.ThrowsAsync<TimeoutException>(async () => await stalled);
            Assert.Contains("ReadTimeout (00:00:30)", timeout.Message, StringComparison.Ordinal);
        }

        List<ResponsesEvent> next = await TurnAsync(conversation, Turn("gpt-4o"));
        Assert.Equal("response.completed", next[^1].Type);
        Assert.Equal(2, conversation.Connections);
    }

    [Fact]
    public async Task Cancellation_EndsTheTurnWithOperationCanceled()
    {
        await using ResponsesWebSocketClient client = Client();
        await using ResponsesConversation conversation = client.StartConversation();
        using var cancel = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (ResponsesEvent e in conversation.StreamAsync(Turn("ws-gated"), cancel.Token))
            {
                cancel.Cancel(); // after response.created, while the rest waits for the gate
            }
        });

        Assert.Equal("response.completed", (await TurnAsync(conversation, Turn("gpt-4o")))[^1].Type);
        Assert.Equal(2, conversation.Connections);
    }

    [Fact]
    public async Task ASecondTurnWhileOneIsRunning_IsRefused()
    {
        await using ResponsesWebSocketClient client = Client();
        await using ResponsesConversation conversation = client.StartConversation();
        await using IAsyncEnumerator<ResponsesEvent> running = conversation.StreamAsync(Turn("gpt-4o")).GetAsyncEnumerator();
        Assert.True(await running.MoveNextAsync());

        await Assert.ThrowsAsync<InvalidOperationException>(() => TurnAsync(conversation, Turn("gpt-4o")));
    }

    [Fact]
    public async Task StreamSource_YieldsTheEventsTheServerSent_AndChainsLikeTheEnumerable()
    {
        using ActorSystem system = ActorSystem.Create("client-test");
        IMaterializer materializer = system.Materializer();
        await using ResponsesWebSocketClient client = Client();
        await using ResponsesConversation conversation = client.StartConversation();

        IReadOnlyList<ResponsesEvent> viaSource = await conversation.StreamSource(Turn("gpt-4o")).RunWith(Sink.Seq<ResponsesEvent>(), materializer);
        List<ResponsesEvent> viaEnumerable = await TurnAsync(conversation, Turn("gpt-4o"));

        Assert.Equal(Fake.Sent.Take(6), viaSource.Select(e => Encoding.UTF8.GetString(e.Utf8Json.Span)));
        Assert.Equal(viaSource.Select(e => e.Type), viaEnumerable.Select(e => e.Type));
        Assert.Equal([null, "resp_ws_1"], Fake.Received.Select(PreviousOf));

        // A downstream that takes one event and cancels: nothing of that turn reaches the next.
        Assert.Equal("response.created", Assert.Single(await conversation.StreamSource(Turn("gpt-4o")).Take(1).RunWith(Sink.Seq<ResponsesEvent>(), materializer)).Type);
        List<ResponsesEvent> after = await TurnAsync(conversation, Turn("gpt-4o"));
        Assert.Equal("response.created", after[0].Type);
        Assert.Equal(6, after.Count);
        Assert.All(after.Where(e => e.ResponseId is not null), e => Assert.Equal(after[0].ResponseId, e.ResponseId));
        // Drained on the same socket (turn 3 completed there), or the socket was dropped (a read cancelled mid-way) and turn 4 reconnected.
        Assert.Equal(conversation.Connections == 1 ? "resp_ws_3" : "resp_ws_2", PreviousOf(Fake.Received.Last()));
        await system.Terminate();
    }

    [Fact]
    public async Task DisposeAsync_ClosesEverySocketWith1000()
    {
        ResponsesWebSocketClient client = Client();
        ResponsesConversation first = client.StartConversation();
        ResponsesConversation second = client.StartConversation("resp_saved");
        await TurnAsync(first, Turn("gpt-4o"));
        await TurnAsync(second, Turn("gpt-4o"));

        await first.DisposeAsync();
        Assert.Equal(WebSocketCloseStatus.NormalClosure, Assert.Single(Fake.ClosesReceived).Status);
        await client.DisposeAsync(); // closes the second conversation's socket

        Assert.Equal([WebSocketCloseStatus.NormalClosure, WebSocketCloseStatus.NormalClosure], Fake.ClosesReceived.Select(c => c.Status));
        Assert.Equal([null, "resp_saved"], Fake.Received.Select(PreviousOf));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => TurnAsync(first, Turn("gpt-4o")));
    }

    [Fact]
    public void Options_AreValidated()
    {
        Assert.Throws<ArgumentException>(() => new ResponsesWebSocketClient(new ResponsesWebSocketClientOptions()));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ResponsesWebSocketClient(new ResponsesWebSocketClientOptions { Endpoint = new Uri("ws://x/v1/responses"), ReadTimeout = TimeSpan.Zero }));
        Assert.Throws<ArgumentException>(() => ResponsesTurn.FromJson("""{"type":"response.cancel"}"""));
        Assert.Throws<ArgumentException>(() => ResponsesTurn.FromJson("[1]"));
    }

    private ResponsesWebSocketClient Client(TimeProvider? time = null, TimeSpan? drain = null) => new(new ResponsesWebSocketClientOptions
    {
        Endpoint = new Uri(_upstream.BaseUrl, "/v1/responses"), // http: dialled as ws
        ApiKey = Key,
        ReadTimeout = TimeSpan.FromSeconds(30),
        DrainTimeout = drain ?? TimeSpan.FromSeconds(20),
        TimeProvider = time ?? TimeProvider.System,
    });

    private static ResponsesTurn Turn(string model) =>
        ResponsesTurn.FromJson($$"""{"model":"{{model}}","store":false,"input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"next"}]}]}""");

    private static async Task<List<ResponsesEvent>> TurnAsync(ResponsesConversation conversation, ResponsesTurn turn)
    {
        var events = new List<ResponsesEvent>();
        await foreach (ResponsesEvent e in conversation.StreamAsync(turn))
        {
            events.Add(e);
        }

        return events;
    }

    /// <summary>Polls <paramref name="condition"/> for up to 20 s (a bound, not a timing assertion).</summary>
    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!condition())
        {
            await Task.Delay(10, bound.Token).ContinueWith(t => t.IsCanceled ? throw new TimeoutException(what) : t, TaskScheduler.Default);
        }
    }

    private static string? PreviousOf(string message)
    {
        using JsonDocument doc = JsonDocument.Parse(message);
        return doc.RootElement.TryGetProperty("previous_response_id", out JsonElement p) ? p.GetString() : null;
    }
}
