using AkkaProxy.Pipeline.Billing;

namespace AkkaProxy.Hosting.Billing;

/// <summary>Writes each billing record as one structured log event.</summary>
internal sealed partial class LogBillingSink(ILogger<LogBillingSink> logger) : IBillingSink
{
    /// <inheritdoc />
    public ValueTask WriteAsync(BillingRecord record, CancellationToken cancellationToken)
    {
        Log(logger, record.RequestId, record.KeyId, record.Api, record.Provider, record.RequestedModel, record.UpstreamModel,
            record.Streaming, record.Usage.Status, record.Usage.InputTokens, record.Usage.CachedInputTokens, record.Usage.CacheWriteTokens,
            record.Usage.OutputTokens, record.Usage.ReasoningTokens, record.Cost, record.Outcome, record.EndedBy, record.ErrorCode,
            record.TimeToFirstByte?.TotalMilliseconds, record.Duration.TotalMilliseconds, record.Turn,
            record.Warnings.Count == 0 ? null : string.Join(',', record.Warnings));
        return ValueTask.CompletedTask;
    }

    [LoggerMessage(EventId = 1000, EventName = "Billing", Level = LogLevel.Information,
        Message = "billing {RequestId} key={KeyId} api={Api} provider={Provider} model={RequestedModel}->{UpstreamModel} stream={Streaming} usage={UsageStatus} in={InputTokens} cached={CachedInputTokens} cacheWrite={CacheWriteTokens} out={OutputTokens} reasoning={ReasoningTokens} cost={Cost} outcome={Outcome} endedBy={EndedBy} error={ErrorCode} ttfbMs={TtfbMs} durationMs={DurationMs} turn={Turn} warnings={Warnings}")]
    private static partial void Log(ILogger logger, string requestId, string? keyId, AkkaProxy.Pipeline.Usage.ApiKind api, string? provider, string? requestedModel, string? upstreamModel,
        bool streaming, AkkaProxy.Pipeline.Usage.UsageStatus usageStatus, long inputTokens, long cachedInputTokens, long cacheWriteTokens,
        long outputTokens, long reasoningTokens, decimal? cost, AkkaProxy.Pipeline.Billing.ExchangeOutcome outcome, AkkaProxy.Pipeline.Billing.EndedBy endedBy, string? errorCode,
        double? ttfbMs, double durationMs, int? turn, string? warnings);
}
