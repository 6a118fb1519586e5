using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;

namespace AkkaProxy.Host.Tests.Relay;

/// <summary>
/// Stopping the host mid-stream with no time to drain (<c>drain-timeout = 0s</c>, the same as a drain
/// whose deadline passed): clients are told, and every record still reaches the sinks.
/// </summary>
public sealed class ShutdownTests : RelayTestBase
{
    protected override string ExtraHocon => "akkaproxy.shutdown.drain-timeout = 0s";

    [Fact]
    public async Task HostStoppingBeforeResponseHeaders_Gets503RelayShuttingDown_AndIsBilledAsShutdown()
    {
        Task<HttpResponseMessage> sent = Relay.Http.SendAsync(Post("/v1/chat/completions", """{"model":"openai/slow-headers","messages":[]}"""));
        // The fake read the request and holds its headers: the relay waits for them.
        Assert.Equal("slow-headers", await Upstream.HoldingHeaders.Task.WaitAsync(TimeSpan.FromSeconds(20)));

        await Relay.App.StopAsync();

        // Kestrel lets a running request finish when the host stops; the relay's own shutdown signal
        // ends the wait for the upstream, and the client is told to retry (ConnectFailedAsync).
        using HttpResponseMessage response = await sent.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("relay_shutting_down", json.RootElement.GetProperty("error").GetProperty("code").GetString());
        BillingRecord record = await Relay.Billing.SingleForAsync("openai/slow-headers");
        Assert.Equal(EndedBy.Shutdown, record.EndedBy);
        Assert.Equal(ExchangeOutcome.UpstreamError, record.Outcome);
        Assert.Equal("relay_shutting_down", record.ErrorCode);
        Assert.Equal(503, record.HttpStatus);
    }

    [Fact]
    public async Task HostStopping_EndsOpenStreamsAndSockets_AndStillBillsThem()
    {
        using HttpRequestMessage request = Post("/v1/chat/completions", """{"model":"openai/hang","stream":true,"messages":[]}""");
        using HttpResponseMessage response = await Relay.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Task<string> body = response.Content.ReadAsStringAsync();
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl);
        await socket.SendAsync("""{"type":"response.create","model":"openai/gpt-4o","input":[]}""");
        await socket.ReceiveUntilAsync("response.completed");
        await socket.SendAsync("""{"type":"response.create","model":"openai/ws-hold","input":[]}""");
        await socket.ReceiveUntilAsync("response.created");

        await Relay.App.StopAsync();

        Assert.Contains("\"code\":\"relay_shutting_down\"", await body, StringComparison.Ordinal);
        (WebSocketCloseStatus? status, _) = await socket.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, status);
        BillingRecord stream = await Relay.Billing.SingleForAsync("openai/hang");
        Assert.Equal(EndedBy.Shutdown, stream.EndedBy);
        BillingRecord held = await Relay.Billing.WaitForAsync(r => r.Turn == 2);
        Assert.Equal(EndedBy.Shutdown, held.EndedBy);
        Assert.Equal(ExchangeOutcome.Failed, held.Outcome);
        Assert.NotNull(await Relay.Billing.WaitForAsync(r => r.Turn == 1));
    }
}
