using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Billing;

/// <summary>Turns an ended exchange into its <see cref="BillingRecord"/>, priced from the table.</summary>
public static class BillingRecordFactory
{
    /// <summary>Builds the record. Cost is null when the model has no price or the usage was not seen or not readable.</summary>
    public static BillingRecord Create(ProxyExchange exchange, PricingTable pricing, ExchangeOutcome outcome, EndedBy endedBy, int? httpStatus, string? errorCode, DateTimeOffset endedAt)
    {
        var usage = exchange.Usage;
        return new BillingRecord
        {
            RequestId = exchange.RequestId,
            KeyId = exchange.KeyId,
            Api = exchange.Api,
            Provider = exchange.Provider.Name,
            RequestedModel = exchange.Route.RequestedModel,
            UpstreamModel = exchange.Route.UpstreamModel,
            ResponseModel = exchange.ResponseModel,
            ResponseId = exchange.ResponseId,
            Streaming = exchange.IsStreaming,
            Usage = usage,
            // Unknown stays unknown: no price, no readable usage, or a bare total gives null, never 0.
            Cost = usage.Status is UsageStatus.Missing or UsageStatus.Unknown || usage.IsTotalOnly ? null
                : pricing.Cost(exchange.Provider.Name, exchange.Route.UpstreamModel, usage),
            Warnings = exchange.Accumulator.Warnings(),
            Outcome = outcome,
            EndedBy = endedBy,
            HttpStatus = httpStatus,
            ErrorCode = errorCode,
            StartedAt = exchange.StartedAt,
            TimeToFirstByte = exchange.FirstByteAt - exchange.StartedAt,
            Duration = endedAt - exchange.StartedAt,
            Turn = exchange.Turn,
            PreviousResponseId = exchange.PreviousResponseId,
            StreamId = exchange.StreamId,
        };
    }

    /// <summary>
    /// The record of an authenticated request the relay refused before anything went upstream:
    /// outcome <see cref="ExchangeOutcome.Rejected"/>, no usage, cost 0.
    /// </summary>
    /// <param name="rejection">What was refused, and why.</param>
    /// <param name="endedAt">When the refusal was sent.</param>
    internal static BillingRecord Rejected(RejectedRequest rejection, DateTimeOffset endedAt) => new()
    {
        RequestId = rejection.RequestId,
        KeyId = rejection.KeyId,
        Api = rejection.Api,
        Provider = rejection.Route?.Provider.Name,
        RequestedModel = rejection.Route?.RequestedModel ?? rejection.RequestedModel,
        UpstreamModel = rejection.Route?.UpstreamModel,
        Streaming = rejection.Streaming,
        Usage = TokenUsage.Missing,
        Cost = 0m,
        Outcome = ExchangeOutcome.Rejected,
        EndedBy = EndedBy.Relay,
        HttpStatus = rejection.HttpStatus,
        ErrorCode = rejection.ErrorCode,
        StartedAt = rejection.StartedAt,
        Duration = endedAt - rejection.StartedAt,
        StreamId = rejection.StreamId,
    };
}
