namespace AkkaProxy.Pipeline.Billing;

/// <summary>
/// The answer an actor subscribed with acknowledgements gives each <see cref="BillingRecord"/>
/// (<c>Sender.Tell(BillingAck.Instance)</c>): the relay sends the next record after it.
/// </summary>
public sealed class BillingAck
{
    private BillingAck()
    {
    }

    /// <summary>The answer.</summary>
    public static BillingAck Instance { get; } = new();
}
