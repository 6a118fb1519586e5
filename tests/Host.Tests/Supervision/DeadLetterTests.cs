using Akka.Actor;
using Akka.Event;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Supervision;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaProxy.Host.Tests.Supervision;

/// <summary>Normal traffic leaves nothing in dead letters: no message is sent to a supervisor that has already stopped.</summary>
public sealed class DeadLetterTests : RelayTestBase
{
    [Fact]
    public async Task AHundredRequests_OnConnectionsThatClose_LeaveNoDeadLetter()
    {
        ActorSystem system = Relay.App.Services.GetRequiredService<ActorSystem>();
        var counter = new DeadLetterCount();
        IActorRef listener = system.ActorOf(Props.Create(() => new DeadLetterListener(counter)));
        system.EventStream.Subscribe(listener, typeof(AllDeadLetters));
        HttpRelay relay = Relay.App.Services.GetRequiredService<HttpRelay>();

        for (int i = 0; i < 100; i++)
        {
            // Half on connections closed after each request (a supervisor each), half on one kept alive.
            using HttpRequestMessage request = Post("/v1/responses", """{"model":"openai/gpt-4o","stream":true,"input":"hi"}""");
            request.Headers.ConnectionClose = i % 2 == 0;
            using HttpResponseMessage response = await Relay.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Contains("response.completed", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        await Relay.Billing.DrainAsync();
        Assert.Equal(100, Relay.Billing.Records.Count(r => r.Outcome == ExchangeOutcome.Completed));
        // Every closed connection's supervisor has stopped: what a late message would have reached.
        await WaitUntilAsync(() => relay.Connections.OpenConnections <= 1, "supervisors of closed connections still alive");
        // A marker through the same stream: once it arrived, every dead letter published before it had.
        var marker = new object();
        system.DeadLetters.Tell(marker);
        await counter.Marker(marker).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(0, counter.Others);
    }

    private sealed class DeadLetterCount
    {
        private readonly TaskCompletionSource _marker = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private object? _expected;
        private int _others;

        public int Others => Volatile.Read(ref _others);

        public Task Marker(object marker)
        {
            Volatile.Write(ref _expected, marker);
            return _marker.Task;
        }

        public void Seen(AllDeadLetters letter)
        {
            if (ReferenceEquals(letter.Message, Volatile.Read(ref _expected)))
            {
                _marker.TrySetResult();
            }
            else
            {
                Interlocked.Increment(ref _others);
            }
        }
    }

    private sealed class DeadLetterListener : ReceiveActor
    {
        public DeadLetterListener(DeadLetterCount count) => Receive<AllDeadLetters>(count.Seen);
    }
}
