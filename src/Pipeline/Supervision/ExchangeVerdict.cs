using AkkaProxy.Pipeline.Billing;

namespace AkkaProxy.Pipeline.Supervision;

/// <summary>
/// How one exchange (an HTTP request or a WebSocket turn) ended, as the side that saw its end reports it
/// to the connection's supervisor, which makes it the billing record's outcome.
/// </summary>
internal readonly record struct ExchangeVerdict(ExchangeOutcome Outcome, EndedBy EndedBy, int Status, string? ErrorCode);
