using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Akka.Actor;
using Akka.Hosting;
using AkkaProxy.Cluster.Affinity;
using Microsoft.Extensions.DependencyInjection;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.Pooling;
using AkkaProxy.Host.Tests.TestKit;

namespace AkkaProxy.Host.Tests.Cluster;

/// <summary>
/// Conversation affinity across nodes: a streaming Responses request continuing X (with
/// <c>store:false</c>, which only the socket that produced X can continue) that lands on a node whose
/// pool does not hold X is sent on to the node that does, and served over that socket; the node
/// that served it bills it, once. A continuation of a response no node holds is served where it
/// lands, as on one node.
/// </summary>
public sealed partial class ClusterAffinityTests
{
    [Fact]
    public async Task AContinuationLandingOnAnotherNode_IsServedOverTheSocketThatHoldsItsConversation_AndBilledOnce()
    {
        await using FakeUpstream upstream = await FakeUpstream.StartAsync();
        await using ClusterNodes nodes = await ClusterNodes.StartAsync(upstream, 3, "akkaproxy.ledger.enabled = false\n" + UpstreamSocketHocon.For(upstream, maxSockets: 2));
        await WhenTheDirectoryAnswersAsync(nodes);

        string first = await PostStreamAsync(nodes[0], Body());
        string id = CompletedId(first);
        string previous = id;
        foreach (int node in new[] { 1, 2, 1 })
        {
            string body = await PostStreamAsync(nodes[node], Body(previous));
            Assert.Contains("event: response.completed", body, StringComparison.Ordinal);
            (int connection, _, string? continued, _) = upstream.Pooled.Turns.Last();
            Assert.Equal(previous, continued);
            Assert.Equal(upstream.Pooled.Turns.Single(t => t.ResponseId == id).Connection, connection);
            previous = CompletedId(body);
        }

        // One socket carried the whole conversation; node 0 served and billed every turn, the others none.
        Assert.Equal(1, upstream.Pooled.Connections);
        await nodes[0].Billing.WaitForCountAsync(r => r.RequestedModel == "wsp/pool", 4);
        foreach (RelayTestHost node in nodes.Hosts)
        {
            await node.Billing.DrainAsync();
        }

        Assert.Equal(4, nodes[0].Billing.Records.Count(r => r.RequestedModel == "wsp/pool"));
        Assert.Empty(nodes[1].Billing.Records);
        Assert.Empty(nodes[2].Billing.Records);

        // A response no node holds: served where it lands, and the provider's refusal passes as on one node.
        using HttpResponseMessage missed = await nodes[1].Http.SendAsync(Post(Body("resp_nowhere")));
        Assert.Equal(HttpStatusCode.BadRequest, missed.StatusCode);
        Assert.Contains("previous_response_not_found", await missed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConversationsAtOnce_EachTurnOnTheOtherNode_EveryContinuationFindsItsSocket()
    {
        await using FakeUpstream upstream = await FakeUpstream.StartAsync();
        await using ClusterNodes nodes = await ClusterNodes.StartAsync(upstream, 2, "akkaproxy.ledger.enabled = false\n" + UpstreamSocketHocon.For(upstream, maxSockets: 8));

        await WhenTheDirectoryAnswersAsync(nodes);

        // The eight first turns are in flight at once, so each conversation has a socket of its own (a
        // first turn that found another's socket idle would take it: the pool's oldest-idle choice).
        Task<string>[] firsts = [.. Enumerable.Range(0, 8).Select(_ => PostStreamAsync(nodes[0], Body(model: "wsp/pool-gated")))];
        for (int i = 0; i < 8; i++)
        {
            Assert.True(await upstream.Pooled.GateWaiting.WaitAsync(TimeSpan.FromSeconds(20)));
        }

        upstream.Pooled.Gate.Release(8);

        // Then no waiting between turns: a turn's end reaches the client only once the directory knows its response.
        await Task.WhenAll(firsts.Select(async first =>
        {
            string previous = CompletedId(await first);
            for (int turn = 1; turn < 10; turn++)
            {
                string body = await PostStreamAsync(nodes[turn % 2], Body(previous));
                previous = CompletedId(body);
            }
        }));

        // Every continuation ran on the connection that produced the response it continues.
        var producedOn = upstream.Pooled.Turns.Where(t => t.ResponseId is not null).ToDictionary(t => t.ResponseId!, t => t.Connection);
        Assert.All(upstream.Pooled.Turns.Where(t => t.Previous is not null), t => Assert.Equal(producedOn[t.Previous!], t.Connection));
        Assert.Equal(80, producedOn.Count);
    }

    /// <summary>
    /// The cluster has just formed: the directory's shards get their first home on first use, which
    /// can take longer than a turn's end waits for the directory. Asked once for each bucket from each
    /// node, every shard has a home before the load starts.
    /// </summary>
    private static async Task WhenTheDirectoryAnswersAsync(ClusterNodes nodes)
    {
        foreach (RelayTestHost node in nodes.Hosts)
        {
            IActorRef region = node.App.Services.GetRequiredService<IRequiredActor<ResponseDirectoryEntity>>().ActorRef;
            foreach (string id in Enumerable.Range(0, 512).Select(i => $"warm_{i}"))
            {
                await ClusterNodes.WaitUntilAsync(() =>
                {
                    try
                    {
                        return region.Ask<SocketAt>(new WhereIsSocket(id), TimeSpan.FromSeconds(2)).GetAwaiter().GetResult() is not null;
                    }
                    catch (AskTimeoutException)
                    {
                        return false;
                    }
                }, () => "the directory never answered");
            }
        }
    }

    private static string Body(string? previous = null, string model = "wsp/pool") =>
        $$"""{"model":"{{model}}","input":"hi","stream":true,"store":false{{(previous is null ? "" : $",\"previous_response_id\":\"{previous}\"")}}}""";

    private static HttpRequestMessage Post(string json)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/responses") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new("Bearer", RelayTestHost.RelayKey);
        return request;
    }

    private static async Task<string> PostStreamAsync(RelayTestHost node, string json)
    {
        using HttpResponseMessage response = await node.Http.SendAsync(Post(json), HttpCompletionOption.ResponseHeadersRead);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {body}");
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return body;
    }

    private static string CompletedId(string body) => CompletedIds().Match(body).Groups[1].Value;

    [GeneratedRegex("\"type\":\"response.completed\",\"sequence_number\":\\d+,\"response\":\\{\"id\":\"([^\"]+)\"")]
    private static partial Regex CompletedIds();
}
