using AkkaProxy.Pipeline.Billing;

namespace AkkaProxy.Hosting.Ledger;

/// <summary>How many records ended one way, by one side: the figures behind error rates by side.</summary>
/// <param name="EndedBy">Who ended the exchanges (<see cref="BillingRecord.EndedBy"/>).</param>
/// <param name="Outcome">How they ended (<see cref="BillingRecord.Outcome"/>).</param>
/// <param name="Requests">Records with both.</param>
internal sealed record LedgerOutcomeCount(EndedBy EndedBy, ExchangeOutcome Outcome, long Requests);
