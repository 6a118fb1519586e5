using System.Text;
using System.Text.RegularExpressions;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Pooling;
using AkkaProxy.Pipeline.Usage;
using Microsoft.Extensions.DependencyInjection;
using OpenAI.Responses;

namespace AkkaProxy.Host.Tests.Pooling;

/// <summary>
/// The HTTP → WebSocket bridge over pooled upstream sockets: provider <c>wsp</c> has
/// <c>transport = websocket</c>, provider <c>ssep</c> is the same fake over HTTP SSE.
/// </summary>
public sealed partial class UpstreamSocketTests : RelayTestBase
{
    protected override string ExtraHocon => UpstreamSocketHocon.For(Upstream, maxSockets: 2);

    private SocketPoolCounters Counters => Relay.App.Services.GetRequiredService<UpstreamSocketPools>().Counters;

    private static string Body(string model, string? previous = null, bool store = true) =>
        $$"""{"model":"{{model}}","input":"hi","stream":true,"store":{{(store ? "true" : "false")}}{{(previous is null ? "" : $",\"previous_response_id\":\"{previous}\"")}}}""";

    [Fact]
    public async Task SequentialRequests_ReuseOneUpstreamSocket()
    {
        for (int i = 0; i < 3; i++)
        {
            string body = await PostStreamAsync("/v1/responses", Body("wsp/pool"));
            Assert.Contains("event: response.completed\ndata: {\"type\":\"response.completed\"", body, StringComparison.Ordinal);
            Assert.Contains($"from {FakePooledSocket.ResponseId(1, i + 1)}", body, StringComparison.Ordinal);
        }

        Assert.Equal(1, Upstream.Pooled.Connections);
        Assert.All(Upstream.Pooled.Received, message =>
        {
            Assert.StartsWith("{\"type\":\"response.create\",\"model\":\"pool\"", message, StringComparison.Ordinal);
            Assert.DoesNotContain("\"stream\"", message, StringComparison.Ordinal);
        });
        Assert.Empty(Upstream.Requests); // nothing went over HTTP
        Assert.Equal(3, (await RecordsAsync(3)).Count(r => r.Outcome == ExchangeOutcome.Completed));
    }

    [Fact]
    public async Task BridgedStream_IsTheSseAnHttpUpstreamSends_AndTheOpenAISdkReadsIt()
    {
        string body = await PostStreamAsync("/v1/responses", Body("wsp/pool-sse"));
        Assert.Equal(string.Concat(FakeStreams.Responses("pool-sse")), body);

        ResponsesClient responses = Relay.OpenAI().GetResponsesClient();
        var text = new StringBuilder();
        ResponseResult? completed = null;
        await foreach (StreamingResponseUpdate update in await responses.CreateResponseStreamingAsync("wsp/pool-sse", "hi", previousResponseId: null))
        {
            if (update is StreamingResponseOutputTextDeltaUpdate delta)
            {
                text.Append(delta.Delta);
            }
            else if (update is StreamingResponseCompletedUpdate done)
            {
                completed = done.Response;
            }
        }

        Assert.Equal(FakeUpstream.Text, text.ToString());
        Assert.Equal(FakeStreams.RespInput, completed?.Usage.InputTokenCount);
        Assert.Equal(1, Upstream.Pooled.Connections);
    }

    [Fact]
    public async Task SameConversation_BillsTheSameOverSocketAndOverSse()
    {
        await PostStreamAsync("/v1/responses", Body("ssep/pool-sse"));
        await PostStreamAsync("/v1/responses", Body("wsp/pool-sse"));

        IReadOnlyCollection<BillingRecord> records = await RecordsAsync(2);
        BillingRecord sse = records.Single(r => r.Provider == "ssep");
        BillingRecord socket = records.Single(r => r.Provider == "wsp");
        Assert.Single(Upstream.Requests); // the SSE one
        Assert.Equal(UsageStatus.Reported, socket.Usage.Status);
        Assert.Equal(sse.Usage, socket.Usage);
        Assert.NotNull(socket.Cost);
        Assert.Equal(sse.Cost, socket.Cost);
        Assert.Equal(sse.Outcome, socket.Outcome);
        Assert.Equal(sse.EndedBy, socket.EndedBy);
        Assert.Equal(sse.HttpStatus, socket.HttpStatus);
        Assert.Equal(sse.ResponseId, socket.ResponseId);
        Assert.Equal(sse.ResponseModel, socket.ResponseModel);
        Assert.Equal(sse.UpstreamModel, socket.UpstreamModel);
        Assert.Equal(sse.Streaming, socket.Streaming);
        Assert.Equal(sse.Warnings, socket.Warnings);
    }

    [Fact]
    public async Task SocketEndpointDown_FallsBackToHttpSse()
    {
        Upstream.Pooled.RefuseUpgrades = true;

        string body = await PostStreamAsync("/v1/responses", Body("wsp/pool-sse"));

        Assert.Equal(string.Concat(FakeStreams.Responses("pool-sse")), body);
        RecordedRequest request = Assert.Single(Upstream.Requests);
        Assert.Equal("/pool/v1/responses", request.Path);
        Assert.Contains("\"stream\":true", request.BodyText, StringComparison.Ordinal);
        Assert.Equal(1, Counters.Fallbacks);
        Assert.Equal(ExchangeOutcome.Completed, (await Relay.Billing.SingleForAsync("wsp/pool-sse")).Outcome);
    }

    [Fact]
    public async Task SocketFailsAfterTheFirstEvent_NoFallback_TerminalErrorAndFailedRecord()
    {
        string body = await PostStreamAsync("/v1/responses", Body("wsp/pool-abort"));

        Assert.StartsWith("event: response.created\n", body, StringComparison.Ordinal);
        Assert.Contains("from resp_1_1", body, StringComparison.Ordinal);
        Assert.Contains("upstream_truncated", body, StringComparison.Ordinal);
        Assert.DoesNotContain("response.completed", body, StringComparison.Ordinal);
        Assert.Empty(Upstream.Requests);
        Assert.Equal(0, Counters.Fallbacks);
        BillingRecord record = await Relay.Billing.SingleForAsync("wsp/pool-abort");
        Assert.Equal(ExchangeOutcome.Failed, record.Outcome);
        Assert.Equal("upstream_truncated", record.ErrorCode);
        Assert.Equal("resp_1_1", record.ResponseId); // the usage seen: response.created said which response it was
    }

    [Fact]
    public async Task BrokenSocket_IsDiscardedAndRedialledOnce()
    {
        await PostStreamAsync("/v1/responses", Body("wsp/pool"));
        Upstream.Pooled.BreakAll();
        await WaitUntilAsync(() => Upstream.Pooled.OpenSockets == 0, "the fake still holds the broken socket");

        string body = await PostStreamAsync("/v1/responses", Body("wsp/pool"));

        Assert.Contains($"from {FakePooledSocket.ResponseId(2, 1)}", body, StringComparison.Ordinal);
        Assert.Equal(2, Upstream.Pooled.Connections);
        Assert.Equal(1, Counters.Broken);
        Assert.Empty(Upstream.Requests);
    }

    [Fact]
    public async Task Continuation_GoesToTheSocketThatProducedIt_AndAMissPassesTheProvidersAnswer()
    {
        // Two sockets: two turns at once.
        Task<string> first = PostStreamAsync("/v1/responses", Body("wsp/pool-gated"));
        Task<string> second = PostStreamAsync("/v1/responses", Body("wsp/pool-gated"));
        await Upstream.Pooled.GateWaiting.WaitAsync(TimeSpan.FromSeconds(20));
        await Upstream.Pooled.GateWaiting.WaitAsync(TimeSpan.FromSeconds(20));
        Upstream.Pooled.Gate.Release(2);
        string[] ids = [CompletedId(await first), CompletedId(await second)];
        Assert.Equal(2, Upstream.Pooled.Connections);

        foreach (string id in ids.Reverse())
        {
            string body = await PostStreamAsync("/v1/responses", Body("wsp/pool", previous: id, store: false));
            Assert.Contains("event: response.completed", body, StringComparison.Ordinal);
            (int connection, _, string? previous, _) = Upstream.Pooled.Turns.Last();
            Assert.Equal(id, previous);
            Assert.Equal(Upstream.Pooled.Turns.Single(t => t.ResponseId == id).Connection, connection);
        }

        Assert.Equal(2, Counters.AffinityHits);
        // A miss with store:false: the provider's own refusal reaches the client as an HTTP upstream's
        // would, its status and its error object unchanged, and it is billed as the SSE path bills it.
        using HttpResponseMessage missed = await Relay.Http.SendAsync(Post("/v1/responses", Body("wsp/pool", previous: "resp_elsewhere", store: false)));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, missed.StatusCode);
        Assert.Equal("application/json", missed.Content.Headers.ContentType?.MediaType);
        Assert.Equal("{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"previous_response_not_found\",\"message\":\"Previous response with id 'resp_elsewhere' not found.\",\"param\":\"previous_response_id\"}}", await missed.Content.ReadAsStringAsync());
        BillingRecord refused = await Relay.Billing.WaitForAsync(r => r.PreviousResponseId == "resp_elsewhere" || (r.HttpStatus == 400 && r.RequestedModel == "wsp/pool"));
        Assert.Equal((ExchangeOutcome.UpstreamError, "upstream_http_400", 400), (refused.Outcome, refused.ErrorCode, refused.HttpStatus));
        Assert.Equal(1, Counters.AffinityMisses);
        Assert.Equal(2, Upstream.Pooled.Connections);
        Assert.Empty(Upstream.Requests);
    }

    [Fact]
    public async Task ParallelRequests_NeverShareASocketMidTurn()
    {
        const int n = 8;
        string[] bodies = await Task.WhenAll(Enumerable.Range(0, n).Select(_ => PostStreamAsync("/v1/responses", Body("wsp/pool"))));

        Assert.All(bodies, body => Assert.Single(CompletedIds().Matches(body)));
        Assert.Equal(n, bodies.Select(CompletedId).Distinct().Count());
        Assert.Equal(0, Upstream.Pooled.Overlaps);
        Assert.InRange(Upstream.Pooled.Connections, 1, 2); // max-sockets = 2: the others waited
        Assert.Empty(Upstream.Requests);
        Assert.All(await RecordsAsync(n), r => Assert.Equal(ExchangeOutcome.Completed, r.Outcome));
    }

    [Fact]
    public async Task StreamClosedEarly_DoesNotPolluteTheNextRequest()
    {
        using (HttpRequestMessage request = Post("/v1/responses", Body("wsp/pool-gated")))
        using (HttpResponseMessage response = await Relay.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            Assert.Equal("event: response.created", await reader.ReadLineAsync());
        }

        BillingRecord aborted = await Relay.Billing.SingleForAsync("wsp/pool-gated");
        Assert.Equal(ExchangeOutcome.ClientAborted, aborted.Outcome);
        Upstream.Pooled.Gate.Release(); // the rest of the abandoned turn is sent now; the relay drains it

        string next = await PostStreamAsync("/v1/responses", Body("wsp/pool"));

        string id = CompletedId(next);
        Assert.DoesNotContain(FakePooledSocket.ResponseId(1, 1), next, StringComparison.Ordinal);
        Assert.Contains($"from {id}", next, StringComparison.Ordinal);
        Assert.StartsWith("event: response.created\n", next, StringComparison.Ordinal);
        // Drained and reused (the same socket's second turn), or discarded and replaced: never dirty.
        Assert.True(id == FakePooledSocket.ResponseId(1, 2) || id == FakePooledSocket.ResponseId(2, 1), id);
    }

    private async Task<IReadOnlyCollection<BillingRecord>> RecordsAsync(int count)
    {
        await WaitUntilAsync(() => Relay.Billing.Records.Count >= count, $"fewer than {count} billing records");
        await Relay.Billing.DrainAsync();
        Assert.Equal(count, Relay.Billing.Records.Count);
        return Relay.Billing.Records;
    }

    private static string CompletedId(string body) => CompletedIds().Match(body).Groups[1].Value;

    [GeneratedRegex("\"type\":\"response.completed\",\"sequence_number\":\\d+,\"response\":\\{\"id\":\"([^\"]+)\"")]
    private static partial Regex CompletedIds();
}
