using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Streams;
using AkkaProxy.Pipeline.Supervision;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaProxy.Host.Tests.WebSockets;

/// <summary>How WebSocket sessions map to materialized graphs, on real Kestrel: one graph per socket, turns are its state, none outlives its session.</summary>
public sealed class WebSocketSessionGraphTests : RelayTestBase
{
    private const string Create = """{"type":"response.create","model":"openai/gpt-4o","store":false,"input":[]}""";

    private WebSocketRelay Sockets => Relay.App.Services.GetRequiredService<WebSocketRelay>();

    [Fact]
    public async Task ASocket_MaterializesOneGraph_ForAllItsTurns_WhichStopsWithItsSession()
    {
        ConnectionCounters counters = Sockets.Connections;

        await RunSessionAsync(turns: 3);
        Assert.Equal(1, counters.GraphsMaterialized);
        await RunSessionAsync(turns: 1);
        Assert.Equal(2, counters.GraphsMaterialized);

        await Relay.Billing.DrainAsync(); // both sessions have handed every record over: all of them are here
        Assert.Equal(new int?[] { 1, 2, 3, 1 }, Relay.Billing.Records.Select(r => r.Turn));
        Assert.All(Relay.Billing.Records, r => Assert.Equal(ExchangeOutcome.Completed, r.Outcome));
        Assert.Equal(0, Relay.App.Services.GetRequiredService<HttpRelay>().Connections.GraphsMaterialized); // nor an HTTP connection's graph
    }

    /// <summary>One socket, <paramref name="turns"/> turns; then it closes, and its graph and supervisor are gone.</summary>
    private async Task RunSessionAsync(int turns)
    {
        ConnectionCounters counters = Sockets.Connections;
        long before = counters.GraphsMaterialized;
        await using (RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl))
        {
            for (int turn = 1; turn <= turns; turn++)
            {
                await socket.SendAsync(Create);
                await socket.ReceiveUntilAsync("response.completed");
                Assert.Equal(before + 1, counters.GraphsMaterialized); // the socket's graph, from its first turn on
            }

            Assert.Equal(1, counters.RunningGraphs);
            Assert.Equal(1, counters.OpenConnections);
        }

        await WaitUntilAsync(() => Sockets.ActiveSessions == 0, "the session still running");
        await WaitUntilAsync(() => counters.RunningGraphs == 0 && counters.OpenConnections == 0, $"{counters.RunningGraphs} graphs, {counters.OpenConnections} supervisors after the session");
        Assert.Equal(0, counters.RunningGraphs);
        Assert.Equal(0, counters.OpenConnections);
    }
}
