namespace AkkaProxy.Pipeline.Usage;

/// <summary>What one JSON document (a stream event, a WebSocket message or a whole body) said that matters to the relay.</summary>
internal struct EventFacts
{
    public EventType Type;
    public UsageLocation UsageAt;
    public bool UsageIsNull;
    public bool UsageMalformed;
    public UsageCounters Usage;
    public bool HasChoices;
    public int ChoiceCount;
    public bool FinishReasonSeen;
    public bool StopReasonSeen;
    public bool HasErrorObject;
    public bool HasSequenceNumber;
    public long SequenceNumber;
    public ResponseStatus Status;

    /// <summary>A Chat chunk that exists only to carry usage: <c>"choices":[]</c> and a usage object.</summary>
    public readonly bool IsUsageOnlyChatChunk => HasChoices && ChoiceCount == 0 && UsageAt == UsageLocation.Root && !UsageIsNull;
}

/// <summary>The <c>status</c> of a Responses response object.</summary>
internal enum ResponseStatus : byte
{
    None = 0,
    Other,
    Completed,
    Failed,
    Incomplete,
}
