using System.Net.WebSockets;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Supervision;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaProxy.Host.Tests.WebSockets;

/// <summary>
/// A stage whose frame hook throws on a WebSocket turn fails the session's graph: the session is
/// stopped, never resumed (1011 to the client), and every turn is billed exactly once.
/// </summary>
public sealed class WebSocketStageFailureTests : RelayTestBase
{
    protected override string ExtraHocon => """
            akkaproxy.pipeline.stages = [ { factory = exploding-turn } ]
            """;

    protected override void ConfigureServices(IServiceCollection services) =>
        services.AddSingleton<IProxyStageFactory>(new ExplodingTurnFactory());

    [Fact]
    public async Task AFrameHookThatThrows_StopsTheSession_With1011_AndEveryTurnIsBilledOnce()
    {
        await using RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl);
        await socket.SendAsync("""{"type":"response.create","model":"openai/gpt-4o","stream_id":"fine","input":[]}""");
        await socket.ReceiveUntilAsync("response.completed");

        await socket.SendAsync("""{"type":"response.create","model":"openai/gpt-4o","stream_id":"explode","input":[]}""");
        (WebSocketCloseStatus? status, string? reason) = await socket.ReceiveCloseAsync();

        Assert.Equal(WebSocketCloseStatus.InternalServerError, status);
        Assert.Equal("relay error", reason);
        Assert.DoesNotContain(socket.Received, message => message.Contains(ExplodingTurnStage.Secret, StringComparison.Ordinal));
        WebSocketRelay relay = Relay.App.Services.GetRequiredService<WebSocketRelay>();
        await WaitUntilAsync(() => relay.ActiveSessions == 0, "the session did not end");
        await Relay.Billing.DrainAsync();
        BillingRecord fine = Assert.Single(Relay.Billing.Records, r => r.StreamId == "fine");
        Assert.Equal(ExchangeOutcome.Completed, fine.Outcome);
        BillingRecord exploded = Assert.Single(Relay.Billing.Records, r => r.StreamId == "explode");
        Assert.Equal(ExchangeOutcome.Failed, exploded.Outcome);
        Assert.Equal(EndedBy.Relay, exploded.EndedBy);
        // Billed by the session as its open turn (its own code, its stages' completion hooks run), not
        // by the supervisor's fallback.
        Assert.Equal("turn_aborted_relayerror", exploded.ErrorCode);
        Assert.Equal(101, exploded.HttpStatus);
        Assert.Equal(1, ExplodingTurnStage.CompletedExplodedTurns);
        Assert.Equal(2, Relay.Billing.Records.Count);
    }

    private sealed class ExplodingTurnFactory : IProxyStageFactory
    {
        public string Name => "exploding-turn";

        public ProxyStage Create(IConfiguration section) => new ExplodingTurnStage();
    }

    /// <summary>Throws on the frames of the turn on lane "explode": a bug in a frame hook.</summary>
    private sealed class ExplodingTurnStage : ProxyStage
    {
        public const string Secret = "frame-hook-secret-detail";

        private static int _completedExplodedTurns;

        public static int CompletedExplodedTurns => Volatile.Read(ref _completedExplodedTurns);

        public override void OnCompleted(ProxyExchange exchange)
        {
            if (exchange.StreamId == "explode")
            {
                Interlocked.Increment(ref _completedExplodedTurns);
            }
        }

        public override FrameDecision OnResponseFrame(ProxyExchange exchange, ref ResponseFrame frame) =>
            exchange.StreamId == "explode" ? throw new InvalidOperationException(Secret) : FrameDecision.Forward;
    }
}
