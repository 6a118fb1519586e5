using AkkaProxy.Pipeline.Billing;

namespace AkkaProxy.Pipeline.Supervision;

/// <summary>
/// Where a connection's supervisor emits its records: the admission counts each one, then billing takes it.
/// Called on the supervisor's thread only; it never waits.
/// </summary>
internal interface IRecordOutlet
{
    /// <summary>Hands <paramref name="record"/> to billing; <paramref name="holdsCredit"/> when its sender reserved room for it (<see cref="RecordOutlet.ReserveAsync"/>).</summary>
    void Emit(BillingRecord record, bool holdsCredit);

    /// <summary>Gives back room reserved for a record that was not emitted (its exchange had been billed already).</summary>
    void ReturnCredit();
}
