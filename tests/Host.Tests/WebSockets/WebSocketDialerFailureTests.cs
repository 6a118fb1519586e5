using System.Net.WebSockets;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Supervision;
using AkkaProxy.Pipeline.Transport;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaProxy.Host.Tests.WebSockets;

/// <summary>
/// A dialer that fails with something other than a connection error (a bug) ends the session with
/// 1011, the request is billed as failed, and the session ends cleanly instead of failing at its end.
/// </summary>
public sealed class WebSocketDialerFailureTests : RelayTestBase
{
    protected override void ConfigureServices(IServiceCollection services) =>
        services.AddSingleton<IUpstreamWebSocketDialer>(new BuggyDialer());

    [Fact]
    public async Task ADialerBug_EndsTheSessionWith1011_AndTheRequestIsBilledAsFailed()
    {
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl);
        await socket.SendAsync("""{"type":"response.create","model":"openai/gpt-4o","input":[]}""");
        (WebSocketCloseStatus? status, string? reason) = await socket.ReceiveCloseAsync();

        Assert.Equal(WebSocketCloseStatus.InternalServerError, status);
        Assert.Equal("relay error", reason);
        Assert.DoesNotContain(socket.Received, message => message.Contains(BuggyDialer.Secret, StringComparison.Ordinal));
        WebSocketRelay relay = Relay.App.Services.GetRequiredService<WebSocketRelay>();
        await WaitUntilAsync(() => relay.ActiveSessions == 0, "the session did not end");
        await Relay.Billing.DrainAsync(); // the session handed every record over before it ended
        BillingRecord record = Assert.Single(Relay.Billing.Records, r => r.RequestedModel == "openai/gpt-4o");
        Assert.Equal(ExchangeOutcome.Failed, record.Outcome);
        Assert.Equal(EndedBy.Relay, record.EndedBy);
        Assert.Equal("relay_error", record.ErrorCode);
    }

    private sealed class BuggyDialer : IUpstreamWebSocketDialer
    {
        public const string Secret = "dialer-secret-detail";

        public ValueTask<WebSocket> ConnectAsync(Provider provider, WebSocketHandshake handshake, string? upstreamModel, CancellationToken cancellationToken) =>
            throw new ArgumentException(Secret);
    }
}
