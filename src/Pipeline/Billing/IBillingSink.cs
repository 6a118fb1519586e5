namespace AkkaProxy.Pipeline.Billing;

/// <summary>Receives billing records. Called by the <see cref="BillingActor"/> (during shutdown, by the drain), off the data path, one record at a time.</summary>
/// <remarks>An exception is logged and the record still reaches the other sinks; it never fails a request.</remarks>
public interface IBillingSink
{
    /// <summary>Stores or forwards one record.</summary>
    ValueTask WriteAsync(BillingRecord record, CancellationToken cancellationToken);
}
