using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Supervision;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaProxy.Host.Tests.Lifecycle;

/// <summary>
/// Stopping drains: nothing new is accepted, an open HTTP stream runs to its end, a WebSocket finishes
/// its open turn and then closes with 1001, and everything is billed as it ended, not as cut.
/// </summary>
public sealed class DrainTests : RelayTestBase
{
    protected override string ExtraHocon => "akkaproxy.shutdown.drain-timeout = 60s";

    [Fact]
    public async Task Stopping_LetsAnOpenStreamAndAnOpenTurnFinish_RefusesNewWork_ThenClosesTheSocketWith1001()
    {
        // An HTTP stream held after its first event, and a WebSocket turn held after response.created.
        using HttpResponseMessage stream = await Relay.Http.SendAsync(Post("/v1/chat/completions", """{"model":"openai/gated","stream":true,"messages":[]}"""), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        Task<string> body = stream.Content.ReadAsStringAsync();
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl);
        await socket.SendAsync("""{"type":"response.create","model":"openai/ws-gated","input":[]}""");
        await socket.ReceiveUntilAsync("response.created");
        await Upstream.Socket.GatedTurnWaiting.Task.WaitAsync(TimeSpan.FromSeconds(20));

        Task stopped = Relay.App.StopAsync();
        HttpRelay http = Relay.App.Services.GetRequiredService<HttpRelay>();
        await WaitUntilAsync(() => http.IsDraining, "the drain to start");

        // Nothing new: a new connection is not accepted; a new turn on the open socket is refused.
        using (var fresh = new HttpClient { BaseAddress = Relay.BaseUrl })
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => fresh.SendAsync(Post("/v1/chat/completions", """{"model":"openai/gpt-4o","messages":[]}""")));
        }

        await socket.SendAsync("""{"type":"response.create","model":"openai/gpt-4o","input":[]}""");
        JsonElement refused = await socket.ReceiveUntilAsync("error");
        Assert.Equal(503, refused.GetProperty("status").GetInt32());
        Assert.Equal("relay_shutting_down", refused.GetProperty("error").GetProperty("code").GetString());
        Assert.False(stopped.IsCompleted, "the host waits for what it has open");

        // What was open runs to its end.
        Upstream.Gate.Release(100);
        string streamed = await body;
        Assert.Contains("data: [DONE]", streamed, StringComparison.Ordinal);
        Assert.DoesNotContain("relay_shutting_down", streamed, StringComparison.Ordinal);
        Upstream.Socket.TurnGate.Release();
        await socket.ReceiveUntilAsync("response.completed");
        (WebSocketCloseStatus? status, string? reason) = await socket.ReceiveCloseAsync();
        Assert.Equal((WebSocketCloseStatus.EndpointUnavailable, "relay shutting down"), (status, reason));
        await stopped.WaitAsync(TimeSpan.FromSeconds(30));

        BillingRecord http1 = await Relay.Billing.SingleForAsync("openai/gated");
        Assert.Equal((ExchangeOutcome.Completed, EndedBy.Upstream), (http1.Outcome, http1.EndedBy));
        BillingRecord turn = await Relay.Billing.WaitForAsync(r => r.RequestedModel == "openai/ws-gated");
        Assert.Equal((ExchangeOutcome.Completed, EndedBy.Upstream), (turn.Outcome, turn.EndedBy));
        BillingRecord rejected = await Relay.Billing.WaitForAsync(r => r.ErrorCode == "relay_shutting_down");
        Assert.Equal((ExchangeOutcome.Rejected, 503), (rejected.Outcome, rejected.HttpStatus));
    }

    [Fact]
    public async Task Stopping_ClosesAnIdleSocketAtOnce_With1001()
    {
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl);
        await socket.SendAsync("""{"type":"response.create","model":"openai/gpt-4o","input":[]}""");
        await socket.ReceiveUntilAsync("response.completed");
        await Relay.Billing.WaitForAsync(r => r.Turn == 1);

        Task stopped = Relay.App.StopAsync();
        (WebSocketCloseStatus? status, _) = await socket.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, status);
        await stopped.WaitAsync(TimeSpan.FromSeconds(30));
    }
}
