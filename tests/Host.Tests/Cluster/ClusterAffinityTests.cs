using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Akka.Actor;
using AkkaProxy.Cluster.Affinity;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.Pooling;
using AkkaProxy.Host.Tests.TestKit;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;

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

        string first = await PostStreamAsync(nodes[0], Body());
        string id = CompletedId(first);
        string previous = id;
        foreach (int node in new[] { 1, 2, 1 })
        {
            await WhenTheDirectoryKnowsAsync(nodes[node], previous, nodes[0]);
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

    /// <summary>
    /// Node 0 registers a response in the directory once its socket is back in the pool, just after
    /// the client read the response's end: the test waits for the directory's answer, as a client
    /// that reads the response before continuing it would.
    /// </summary>
    private static async Task WhenTheDirectoryKnowsAsync(RelayTestHost asking, string responseId, RelayTestHost holder)
    {
        IActorRef region = asking.App.Services.GetRequiredService<IRequiredActor<ResponseDirectoryEntity>>().ActorRef;
        string expected = holder.BaseUrl.ToString().TrimEnd('/');
        await ClusterNodes.WaitUntilAsync(() =>
        {
            try
            {
                return region.Ask<SocketAt>(new WhereIsSocket(responseId), TimeSpan.FromSeconds(2)).GetAwaiter().GetResult().Node == expected;
            }
            catch (AskTimeoutException)
            {
                return false; // the bucket's shard is still being allocated
            }
        }, () => $"the directory never said {responseId} is at {expected}");
    }

    private static string Body(string? previous = null) =>
        $$"""{"model":"wsp/pool","input":"hi","stream":true,"store":false{{(previous is null ? "" : $",\"previous_response_id\":\"{previous}\"")}}}""";

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
