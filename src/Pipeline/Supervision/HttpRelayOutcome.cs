using AkkaProxy.Pipeline.Billing;

namespace AkkaProxy.Pipeline.Supervision;

/// <summary>The end of one HTTP exchange as the supervisor saw it; becomes the billing record's outcome.</summary>
internal readonly record struct HttpRelayOutcome(ExchangeOutcome Outcome, EndedBy EndedBy, int Status, string? ErrorCode);
