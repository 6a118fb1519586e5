using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Pooling;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaProxy.Host.Tests.Pooling;

/// <summary>A client that leaves mid-turn while the provider is silent: the socket is drained within the drain timeout, not the read timeout, then discarded.</summary>
public sealed class UpstreamSocketDrainTests : RelayTestBase
{
    // The real clock: a drain of 1 s against a read timeout of 10 minutes, which the wait below (bounded at 20 s) could never see end.
    protected override string ExtraHocon => UpstreamSocketHocon.For(Upstream, maxSockets: 2, extra: ", read-timeout = 10m, drain-timeout = 1s, idle-timeout = 2h");

    [Fact]
    public async Task AClientGoneMidTurn_FreesItsSocketAfterTheDrainTimeout_NotTheReadTimeout()
    {
        using (HttpRequestMessage request = Post("/v1/responses", """{"model":"wsp/pool-gated","input":"hi","stream":true}"""))
        using (HttpResponseMessage response = await Relay.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            Assert.Equal("event: response.created", await reader.ReadLineAsync());
        }

        // The exchange is over (billed), and the provider stays silent: the gate is never released.
        BillingRecord aborted = await Relay.Billing.SingleForAsync("wsp/pool-gated");
        Assert.Equal(ExchangeOutcome.ClientAborted, aborted.Outcome);
        SocketPoolCounters pool = Relay.App.Services.GetRequiredService<UpstreamSocketPools>().Counters;
        Assert.Equal(1, pool.Open);

        // The relay's own count: the fake, stuck at its gate, notices the close only when it sends again.
        await WaitUntilAsync(() => pool.Open == 0, "the abandoned socket was not discarded after the drain timeout");
        Upstream.Pooled.Gate.Release(); // the fake's turn ends on the closed socket
    }

    [Fact]
    public async Task StoppingTheHost_ClosesIdlePooledSockets_WithACloseHandshake()
    {
        await PostStreamAsync("/v1/responses", """{"model":"wsp/pool","input":"hi","stream":true}""");
        Assert.Equal(1, Upstream.Pooled.OpenSockets);

        await Relay.App.StopAsync(); // no CloseAllAsync by the test: the host's own shutdown does it

        await WaitUntilAsync(() => !Upstream.Pooled.ClosesReceived.IsEmpty, "no close frame reached the provider");
        Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.EndpointUnavailable, Assert.Single(Upstream.Pooled.ClosesReceived));
    }
}
