using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaProxy.Host.Tests.WebSockets;

/// <summary>Billing never holds up a socket: a turn's terminal event reaches the client whatever billing is doing.</summary>
public sealed class WebSocketBillingTests : RelayTestBase
{
    private const string Create = """{"type":"response.create","model":"openai/gpt-4o","store":false,"input":[]}""";
    private const int Turns = 5;

    private readonly TaskCompletionSource _sinkGate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // One record in the sink, one in the queue: from the third turn on, the queue is full.
    protected override string ExtraHocon => "akkaproxy.billing.queue-capacity = 1";

    protected override void ConfigureServices(IServiceCollection services) =>
        services.AddSingleton<IBillingSink>(new GatedSink(_sinkGate.Task));

    [Fact]
    public async Task WithBillingStuck_EveryTurnStillGetsItsTerminalEvent_AndEveryRecordArrivesOnceItMoves()
    {
        await using (RelaySocket socket = await RelaySocket.ConnectAsync(Relay.BaseUrl))
        {
            for (int turn = 1; turn <= Turns; turn++)
            {
                await socket.SendAsync(Create);
                await socket.ReceiveUntilAsync("response.completed"); // a turn billed before it was sent would stall here
            }

            // At most the first record got past the stuck sink (the capturing sink is called before it), yet every answer arrived.
            Assert.InRange(Relay.Billing.Records.Count, 0, 1);
            _sinkGate.SetResult();
        }

        for (int turn = 1; turn <= Turns; turn++)
        {
            BillingRecord record = await Relay.Billing.WaitForAsync(r => r.Turn == turn);
            Assert.Equal(ExchangeOutcome.Completed, record.Outcome);
        }

        Assert.Equal(Turns, Relay.Billing.Records.Count);
    }

    /// <summary>A sink that holds every record until the gate opens; it comes after the capturing sink.</summary>
    private sealed class GatedSink(Task gate) : IBillingSink
    {
        public async ValueTask WriteAsync(BillingRecord record, CancellationToken cancellationToken) => await gate;
    }
}
