using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using AkkaProxy.Hosting.Billing;
using AkkaProxy.Hosting.Endpoints;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaProxy.Host.Tests.Admin;

/// <summary><c>GET /admin/usage/live</c> over a real socket: SSE framing, heartbeats, leaving, and the host stopping.</summary>
public sealed class AdminLiveTests : RelayTestBase
{
    protected override string ExtraHocon => "akkaproxy.billing.live-heartbeat = 200ms";

    private async Task<(HttpResponseMessage Response, SseClient Events)> OpenLiveAsync()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/admin/usage/live") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", RelayTestHost.AdminKey) } };
        HttpResponseMessage response = await Relay.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = new SseClient(await response.Content.ReadAsStreamAsync());
        Assert.Equal(": akkaproxy live usage", await events.NextFrameAsync()); // sent at once: the subscription is in place
        return (response, events);
    }

    [Fact]
    public async Task ARelayedRequest_ArrivesAsOneRecordEvent_InTheRecordsJson_BetweenHeartbeatComments()
    {
        (HttpResponseMessage response, SseClient events) = await OpenLiveAsync();
        using (response)
        {
            using HttpResponseMessage relayed = await Relay.Http.SendAsync(Post("/v1/chat/completions", """{"model":"openai/gpt-4o","messages":[]}"""));
            relayed.EnsureSuccessStatusCode();
            string requestId = relayed.Headers.GetValues(AkkaProxy.Pipeline.Supervision.HttpRelay.RequestIdHeader).Single();
            BillingRecord billed = await Relay.Billing.WaitForAsync(r => r.RequestId == requestId);

            string frame = await events.NextFrameStartingWithAsync("event: record");
            string[] lines = frame.Split('\n');
            Assert.Equal(2, lines.Length); // "event: record", one "data:" line (the JSON has no newline)
            Assert.StartsWith("data: ", lines[1], StringComparison.Ordinal);
            string json = lines[1]["data: ".Length..];
            Assert.Equal(JsonSerializer.Serialize(billed, AdminEndpoints.RecordJson), json);
            using JsonDocument record = JsonDocument.Parse(json);
            Assert.Equal(requestId, record.RootElement.GetProperty("request_id").GetString());
            Assert.Equal(billed.Cost, record.RootElement.GetProperty("cost").GetDecimal());
            Assert.Equal("team-a", record.RootElement.GetProperty("key_id").GetString());

            // Silence: the stream carries heartbeat comments (live-heartbeat = 200ms here), which EventSource ignores.
            Assert.Equal(": heartbeat", await events.NextFrameStartingWithAsync(":"));
        }

        // The client went: its subscription is removed.
        LiveRecordsSink live = Relay.App.Services.GetRequiredService<LiveRecordsSink>();
        await WaitUntilAsync(() => live.Subscribers == 0, "the live subscription removed after the client left");
    }

    [Fact]
    public async Task TheHostStopping_EndsTheFeed_WithoutWaitingForTheClient()
    {
        (HttpResponseMessage response, SseClient events) = await OpenLiveAsync();
        using (response)
        {
            Task stopped = Relay.App.StopAsync();

            // The stream ends (the loop ends only there), with nothing but comments before it.
            while (await events.NextFrameAsync() is { } frame)
            {
                Assert.StartsWith(":", frame);
            }

            await stopped.WaitAsync(TimeSpan.FromSeconds(20));
        }
    }

    [Fact]
    public async Task WithoutTheAdminKey_TheFeedIsRefused_WithABasicChallenge()
    {
        using HttpResponseMessage anonymous = await Relay.Http.GetAsync("/admin/usage/live");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("Basic", Assert.Single(anonymous.Headers.WwwAuthenticate).Scheme);
        Assert.Equal(0, Relay.App.Services.GetRequiredService<LiveRecordsSink>().Subscribers);
    }
}
