using Akka.Actor;
using Akka.Hosting;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Billing;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaProxy.Host.Tests.Relay;

/// <summary>The relay's records go through the billing actor of the host's actor system.</summary>
public sealed class BillingActorRelayTests : RelayTestBase
{
    [Fact]
    public async Task AStreamsRecord_IsToldByTheBillingActorToASubscriber_ExactlyOnce()
    {
        ActorSystem system = Relay.App.Services.GetRequiredService<ActorSystem>();
        IActorRef billing = await Relay.App.Services.GetRequiredService<IRequiredActor<BillingActor>>().GetAsync();
        Inbox subscriber = Inbox.Create(system);
        subscriber.Send(billing, new BillingActor.Subscribe(subscriber.Receiver));
        Assert.Equal(new BillingActor.Subscribed(subscriber.Receiver), await subscriber.ReceiveAsync(TimeSpan.FromSeconds(20)));

        string text = await PostStreamAsync("/v1/chat/completions",
            """{"model":"openai/gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(string.Concat(FakeStreams.Chat("gpt-4o", includeUsage: true)), text);

        // One record at the sinks (after the handler returned and a sentinel drained the actor) ...
        BillingRecord record = await Relay.Billing.SingleForAsync("openai/gpt-4o");
        // ... and the same one told to the subscriber, followed by nothing but that sentinel.
        Assert.Same(record, await subscriber.ReceiveAsync(TimeSpan.FromSeconds(20)));
        var next = Assert.IsType<BillingRecord>(await subscriber.ReceiveAsync(TimeSpan.FromSeconds(20)));
        Assert.StartsWith(CapturingBillingSink.SentinelPrefix, next.RequestId, StringComparison.Ordinal);
    }
}
