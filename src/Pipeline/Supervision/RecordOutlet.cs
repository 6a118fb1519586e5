using AkkaProxy.Pipeline.Admission;
using AkkaProxy.Pipeline.Billing;

namespace AkkaProxy.Pipeline.Supervision;

/// <summary>
/// The relay's <see cref="IRecordOutlet"/>: the admission is told each record first (so once a record is
/// observable anywhere it has been counted), then the <see cref="BillingGateway"/> takes it.
/// </summary>
/// <remarks>
/// Backpressure stays where it was: an HTTP handler awaits <see cref="ReserveAsync"/> (room in the
/// gateway's queue) before it tells the supervisor how its exchange ended, so with every credit taken the
/// handler waits, never the supervisor and never a stream. Records emitted without a reservation (a
/// WebSocket turn, an exchange billed when its connection stopped) are handed over in the background;
/// the gateway's shutdown drain waits for them.
/// </remarks>
internal sealed class RecordOutlet(BillingGateway gateway, IRequestAdmission? admission) : IRecordOutlet
{
    /// <summary>Waits for room for one record in the gateway's queue; completes at once while there is room.</summary>
    public ValueTask ReserveAsync() => gateway.ReserveAsync();

    /// <summary>A record that belongs to no exchange of a connection (a request refused before routing): counted, then handed over.</summary>
    public ValueTask HandOverAsync(BillingRecord record)
    {
        admission?.Billed(record);
        return gateway.EnqueueAsync(record, CancellationToken.None);
    }

    /// <inheritdoc/>
    public void Emit(BillingRecord record, bool holdsCredit)
    {
        admission?.Billed(record);
        if (holdsCredit)
        {
            gateway.HandOverReserved(record);
        }
        else
        {
            gateway.HandOverInBackground(record);
        }
    }

    /// <inheritdoc/>
    public void ReturnCredit() => gateway.ReturnCredit();
}
