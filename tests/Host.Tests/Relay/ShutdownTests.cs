using System.Net.WebSockets;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Supervision;

namespace AkkaProxy.Host.Tests.Relay;

/// <summary>Stopping the host mid-stream: clients are told, and every record still reaches the sinks.</summary>
public sealed class ShutdownTests : RelayTestBase
{
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
        BillingRecord stream = await Relay.Billing.WaitForAsync(r => r.RequestedModel == "openai/hang");
        Assert.Equal(EndedBy.Shutdown, stream.EndedBy);
        BillingRecord held = await Relay.Billing.WaitForAsync(r => r.Turn == 2);
        Assert.Equal(EndedBy.Shutdown, held.EndedBy);
        Assert.Equal(ExchangeOutcome.Failed, held.Outcome);
        Assert.NotNull(await Relay.Billing.WaitForAsync(r => r.Turn == 1));
    }
}
