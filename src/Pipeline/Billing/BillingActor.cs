using Akka.Actor;
using Akka.Dispatch;

namespace AkkaProxy.Pipeline.Billing;

/// <summary>
/// Delivers billing records to the sinks of its <see cref="BillingGateway"/>, one at a time, in order,
/// and tells each record to the actors that subscribed. Started by <see cref="BillingGateway.Start"/>
/// (which <c>WithAkkaProxy</c> calls) as <c>/user/akkaproxy/billing</c>; resolve it with
/// <c>IRequiredActor&lt;BillingActor&gt;</c>.
/// </summary>
/// <remarks>
/// <para>Messages it takes: <see cref="Subscribe"/> and <see cref="Unsubscribe"/> (answered with
/// <see cref="Subscribed"/> and <see cref="Unsubscribed"/>; a subscriber that stops is dropped), and a
/// <see cref="BillingRecord"/> told by another actor, which is delivered in turn behind the records
/// already waiting. A told record does not take one of the gateway's credits: an actor that bills at a
/// rate it cannot bound should call <see cref="BillingGateway.EnqueueAsync"/> and await it instead.</para>
/// <para>Subscribers get each record after the sinks did, as a <see cref="BillingRecord"/> message from
/// this actor.</para>
/// </remarks>
public sealed class BillingActor : ReceiveActor
{
    /// <summary>The actor's name under <c>/user</c>.</summary>
    public const string Name = "billing";

    private readonly BillingGateway _gateway;

    /// <summary>
    /// Creates the actor over <paramref name="gateway"/>. Start it with <see cref="BillingGateway.Start"/>,
    /// which also ties the gateway to it and to the system's shutdown; Akka calls this constructor.
    /// </summary>
    public BillingActor(BillingGateway gateway)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        _gateway = gateway;
        Receive<DeliverNext>(_ => HoldMailboxUntilDone(_gateway.DeliverNextAsync()));
        Receive<BillingRecord>(record => HoldMailboxUntilDone(_gateway.AcceptToldAsync(record)));
        Receive<Subscribe>(subscribe =>
        {
            Context.Watch(subscribe.Subscriber);
            _gateway.Subscribe(subscribe.Subscriber);
            Sender.Tell(new Subscribed(subscribe.Subscriber));
        });
        Receive<Unsubscribe>(unsubscribe =>
        {
            Context.Unwatch(unsubscribe.Subscriber);
            _gateway.Unsubscribe(unsubscribe.Subscriber);
            Sender.Tell(new Unsubscribed(unsubscribe.Subscriber));
        });
        Receive<Terminated>(terminated => _gateway.Unsubscribe(terminated.ActorRef));
    }

    /// <summary>Asks for every billing record from now on, told to <paramref name="Subscriber"/>.</summary>
    /// <param name="Subscriber">The actor that receives the records.</param>
    public sealed record Subscribe(IActorRef Subscriber);

    /// <summary>Stops the records to <paramref name="Subscriber"/>.</summary>
    /// <param name="Subscriber">The actor that subscribed.</param>
    public sealed record Unsubscribe(IActorRef Subscriber);

    /// <summary>The answer to <see cref="Subscribe"/>: every record delivered after it reaches <paramref name="Subscriber"/>.</summary>
    /// <param name="Subscriber">The actor that subscribed.</param>
    public sealed record Subscribed(IActorRef Subscriber);

    /// <summary>The answer to <see cref="Unsubscribe"/>: no record delivered after it reaches <paramref name="Subscriber"/>.</summary>
    /// <param name="Subscriber">The actor that unsubscribed.</param>
    public sealed record Unsubscribed(IActorRef Subscriber);

    /// <summary>Deliver the oldest record waiting in the gateway (one per record handed over).</summary>
    internal sealed class DeliverNext
    {
        public static readonly DeliverNext Instance = new();

        private DeliverNext()
        {
        }
    }

    /// <summary>
    /// What <c>ReceiveAsync</c> does (the next message waits until the delivery finished), without its
    /// cost per message when the sinks finished at once, as in-memory and logging sinks do.
    /// </summary>
    private static void HoldMailboxUntilDone(Task delivery)
    {
        if (!delivery.IsCompletedSuccessfully)
        {
            ActorTaskScheduler.RunTask(() => delivery);
        }
    }

    internal static Props Props(BillingGateway gateway) => Akka.Actor.Props.Create(() => new BillingActor(gateway));

    /// <inheritdoc />
    protected override void PreRestart(Exception reason, object message)
    {
        // Nothing to stop: the base would call PostStop, which hands the queue to the gateway for good.
    }

    /// <inheritdoc />
    protected override void PostStop() => _gateway.ActorStopped();
}
