using AkkaProxy.Pipeline.Json;

namespace AkkaProxy.Pipeline.Usage;

/// <summary>
/// Folds the facts of successive documents of one response (or one WebSocket turn) into a
/// <see cref="TokenUsage"/> and a terminal signal, following each API's rules (docs/protocol-notes.md §C–E).
/// </summary>
/// <remarks>Per run; not thread-safe.</remarks>
internal sealed class UsageAccumulator
{
    private UsageCounters _counters;
    private UsageStatus _status;
    private bool _finishReasonSeen;

    public UsageAccumulator(ApiKind api) => Api = api;

    public ApiKind Api { get; }

    public TerminalKind Terminal { get; private set; }

    /// <summary>The last <c>sequence_number</c> seen (Responses), or -1.</summary>
    public long LastSequenceNumber { get; private set; } = -1;

    public string? ResponseId { get; private set; }

    public string? ResponseModel { get; private set; }

    /// <summary>True while the accumulator still wants the response id or model copied out.</summary>
    public bool WantsIdentity => ResponseId is null || ResponseModel is null;

    /// <summary>Applies one stream event, WebSocket message, or the whole of a JSON body.</summary>
    /// <param name="facts">What the document said.</param>
    /// <param name="scanner">The scanner that read it, for captured strings.</param>
    /// <param name="isWholeBody">True for a non-streaming response body.</param>
    public void Apply(in EventFacts facts, JsonEventScanner scanner, bool isWholeBody)
    {
        if (CarriesIdentity(facts, isWholeBody))
        {
            ResponseId ??= scanner.Id;
            ResponseModel ??= scanner.Model;
        }

        if (facts.HasSequenceNumber)
        {
            LastSequenceNumber = facts.SequenceNumber;
        }

        switch (Api)
        {
            case ApiKind.ChatCompletions:
                ApplyChat(facts, isWholeBody);
                break;
            case ApiKind.Responses:
                ApplyResponses(facts, isWholeBody);
                break;
            default:
                ApplyAnthropic(facts, isWholeBody);
                break;
        }
    }

    /// <summary>Records Chat's <c>data: [DONE]</c>.</summary>
    public void MarkDone()
    {
        if (Terminal == TerminalKind.None)
        {
            Terminal = TerminalKind.Completed;
        }
    }

    /// <summary>Records that the document could not be read as JSON; usage becomes unknown unless a later report replaces it.</summary>
    public void MarkUnreadable() => _status = UsageStatus.Unknown;

    /// <summary>True when the stream ended in a way its API calls finished, even without an explicit terminal event.</summary>
    public bool FinishedImplicitly => Api == ApiKind.ChatCompletions && _finishReasonSeen;

    public TokenUsage Snapshot()
    {
        UsageCounters c = _counters;
        return Api == ApiKind.AnthropicMessages
            ? new TokenUsage
            {
                InputTokens = c.Input + c.CacheCreation + c.CacheRead,
                CachedInputTokens = c.CacheRead,
                CacheWriteTokens = c.CacheCreation,
                OutputTokens = c.Output,
                ReasoningTokens = c.Reasoning,
                Status = _status,
            }
            : new TokenUsage
            {
                InputTokens = c.Input,
                CachedInputTokens = c.Cached,
                CacheWriteTokens = c.CacheWrite,
                OutputTokens = c.Output,
                ReasoningTokens = c.Reasoning,
                Status = _status,
            };
    }

    /// <summary>
    /// In a Responses stream the response's id and model live in the <c>response</c> object of its
    /// lifecycle events (docs/protocol-notes.md §B), just as its usage does; a top-level <c>id</c> in any other
    /// document (one without a Responses event type) is not the response's, and is ignored like its usage.
    /// </summary>
    private bool CarriesIdentity(in EventFacts facts, bool isWholeBody) =>
        Api != ApiKind.Responses || isWholeBody || facts.Type is EventType.ResponseCreated or EventType.ResponseInProgress
            or EventType.ResponseCompleted or EventType.ResponseFailed or EventType.ResponseIncomplete;

    private void ApplyChat(in EventFacts facts, bool isWholeBody)
    {
        if (facts.UsageAt == UsageLocation.Root)
        {
            Replace(facts, UsageStatus.Reported);
        }
        else if (facts.UsageMalformed)
        {
            _status = UsageStatus.Unknown;
        }

        _finishReasonSeen |= facts.FinishReasonSeen;
        if (facts.HasErrorObject)
        {
            Terminal = TerminalKind.Failed;
        }
        else if (isWholeBody)
        {
            Terminal = TerminalKind.Completed;
        }
    }

    private void ApplyResponses(in EventFacts facts, bool isWholeBody)
    {
        TerminalKind terminal = facts.Type switch
        {
            EventType.ResponseCompleted => TerminalKind.Completed,
            EventType.ResponseIncomplete => TerminalKind.Incomplete,
            EventType.ResponseFailed or EventType.Error => TerminalKind.Failed,
            _ when isWholeBody => facts.Status switch
            {
                ResponseStatus.Failed => TerminalKind.Failed,
                ResponseStatus.Incomplete => TerminalKind.Incomplete,
                _ => TerminalKind.Completed,
            },
            _ => TerminalKind.None,
        };

        UsageLocation expected = isWholeBody ? UsageLocation.Root : UsageLocation.Response;
        if (facts.UsageAt == expected)
        {
            Replace(facts, terminal != TerminalKind.None ? UsageStatus.Reported : UsageStatus.Partial);
        }
        else if (facts.UsageMalformed)
        {
            _status = UsageStatus.Unknown;
        }

        if (terminal != TerminalKind.None)
        {
            Terminal = terminal;
        }
    }

    private void ApplyAnthropic(in EventFacts facts, bool isWholeBody)
    {
        if (facts.UsageMalformed)
        {
            _status = UsageStatus.Unknown;
        }
        else if (facts.UsageAt == UsageLocation.Message)
        {
            // message_start: initial counters; output_tokens here is a starting value, replaced later.
            Overlay(facts.Usage);
            if (_status != UsageStatus.Reported)
            {
                _status = UsageStatus.Partial;
            }
        }
        else if (facts.UsageAt == UsageLocation.Root)
        {
            // message_delta usage is cumulative: replace, never add. A whole body carries the final usage.
            Overlay(facts.Usage);
            _status = UsageStatus.Reported;
        }

        if (facts.Type == EventType.Error)
        {
            Terminal = TerminalKind.Failed;
        }
        else if (facts.Type == EventType.MessageStop || isWholeBody)
        {
            Terminal = TerminalKind.Completed;
        }
    }

    private void Replace(in EventFacts facts, UsageStatus status)
    {
        _counters = facts.Usage;
        // A usage object without input or output counters (only total_tokens, say) cannot be priced:
        // billing it as a reported zero would under-charge, so it is unknown.
        bool priceable = facts.Usage.Has(UsageFields.Input) || facts.Usage.Has(UsageFields.Output);
        _status = facts.UsageMalformed || !priceable ? UsageStatus.Unknown : status;
    }

    private void Overlay(in UsageCounters next)
    {
        foreach (UsageFields field in s_fields)
        {
            if (next.Has(field))
            {
                _counters.Set(field, Read(next, field));
            }
        }
    }

    private static readonly UsageFields[] s_fields =
    [
        UsageFields.Input, UsageFields.Output, UsageFields.Cached, UsageFields.CacheWrite,
        UsageFields.Reasoning, UsageFields.CacheCreation, UsageFields.CacheRead,
    ];

    private static long Read(in UsageCounters c, UsageFields field) => field switch
    {
        UsageFields.Input => c.Input,
        UsageFields.Output => c.Output,
        UsageFields.Cached => c.Cached,
        UsageFields.CacheWrite => c.CacheWrite,
        UsageFields.Reasoning => c.Reasoning,
        UsageFields.CacheCreation => c.CacheCreation,
        _ => c.CacheRead,
    };
}
