using Akka.Actor;

namespace AkkaProxy.Pipeline.Billing;

/// <summary>
/// A sink that tells each record to an actor of yours, in the order the sinks get them. Telling never
/// waits, so this sink never holds up the others; the actor's mailbox is the actor's to bound.
/// To pick an actor after start-up instead, send <see cref="BillingActor.Subscribe"/> to the billing actor.
/// </summary>
/// <param name="target">The actor that receives every <see cref="BillingRecord"/>.</param>
public sealed class ActorBillingSink(IActorRef target) : IBillingSink
{
    /// <summary>The actor that receives the records.</summary>
    public IActorRef Target { get; } = target ?? throw new ArgumentNullException(nameof(target));

    /// <inheritdoc />
    public ValueTask WriteAsync(BillingRecord record, CancellationToken cancellationToken)
    {
        Target.Tell(record, ActorRefs.NoSender);
        return ValueTask.CompletedTask;
    }
}
