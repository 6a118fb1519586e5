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
    private bool _totalOnly;
    private bool _reportedOutsideBody;

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
            case ApiKind.GeminiGenerateContent:
                ApplyGemini(facts, isWholeBody);
                break;
            case ApiKind.BedrockConverse:
                ApplyBedrockConverse(facts, isWholeBody);
                break;
            case ApiKind.BedrockInvoke:
                ApplyBedrockInvoke(facts, isWholeBody);
                break;
            default:
                ApplyAnthropic(facts, isWholeBody);
                break;
        }
    }

    /// <summary>Records Chat's <c>data: [DONE]</c>.</summary>
    public void MarkDone()
    {
        DoneSeen = true;
        if (Terminal == TerminalKind.None)
        {
            Terminal = TerminalKind.Completed;
        }
    }

    /// <summary>True once a Chat stream sent <c>data: [DONE]</c>: what follows is relayed but never accounted.</summary>
    public bool DoneSeen { get; private set; }

    /// <summary>Events with data that arrived after <c>data: [DONE]</c> (relayed, not billed).</summary>
    public int EventsAfterDone { get; private set; }

    /// <summary>Stream events whose data could not be read as JSON (relayed unchanged, not billed).</summary>
    public int UnreadableEvents { get; private set; }

    /// <summary>Records a Chat event that came after <c>data: [DONE]</c>.</summary>
    public void MarkEventAfterDone() => EventsAfterDone++;

    /// <summary>
    /// Records one stream event that could not be read as JSON. The stream goes on and later usage
    /// still counts; if no usage is ever read, the usage is unknown rather than missing (the unreadable
    /// event may have carried it).
    /// </summary>
    public void MarkUnreadableEvent() => UnreadableEvents++;

    /// <summary>Records that a whole JSON body could not be read; its usage is unknown, unless it came from outside the body (<see cref="ApplyReported"/>).</summary>
    public void MarkUnreadable()
    {
        if (!_reportedOutsideBody)
        {
            _status = UsageStatus.Unknown;
        }
    }

    /// <summary>Records an exception message in a Bedrock event stream: the response failed; the usage read before it stays.</summary>
    public void MarkStreamException() => Terminal = TerminalKind.Failed;

    /// <summary>
    /// Usage Bedrock reported outside the body (InvokeModel's <c>X-Amzn-Bedrock-*-Token-Count</c> headers):
    /// final, since the headers come with the whole response. Without an input or output count it is left missing.
    /// </summary>
    public void ApplyReported(in UsageCounters counters)
    {
        if (counters.Has(UsageFields.Input) || counters.Has(UsageFields.Output))
        {
            _counters = counters;
            _status = UsageStatus.Reported;
            _reportedOutsideBody = true;
        }
    }

    /// <summary>The warnings a billing record carries: what the relay saw but could not account.</summary>
    public IReadOnlyList<string> Warnings()
    {
        if (UnreadableEvents == 0 && EventsAfterDone == 0)
        {
            return [];
        }

        var warnings = new List<string>(2);
        if (UnreadableEvents > 0)
        {
            warnings.Add(UsageWarnings.MalformedEvent);
        }

        if (EventsAfterDone > 0)
        {
            warnings.Add(UsageWarnings.DataAfterDone);
        }

        return warnings;
    }

    /// <summary>True when the stream ended in a way its API calls finished, even without an explicit terminal event.</summary>
    public bool FinishedImplicitly => (Api is ApiKind.ChatCompletions or ApiKind.GeminiGenerateContent) && _finishReasonSeen;

    public TokenUsage Snapshot()
    {
        UsageCounters c = _counters;
        UsageStatus status = _status == UsageStatus.Missing && UnreadableEvents > 0 ? UsageStatus.Unknown : _status;
        if (_totalOnly)
        {
            return new TokenUsage { TotalTokens = c.Total, Status = status };
        }

        if (Api == ApiKind.GeminiGenerateContent)
        {
            // Gemini counts thoughts apart from the candidates, both output; and tools' input apart from the prompt.
            return new TokenUsage
            {
                InputTokens = c.Input + c.ToolUsePrompt,
                CachedInputTokens = c.Cached,
                OutputTokens = c.Output + c.Reasoning,
                ReasoningTokens = c.Reasoning,
                Status = status,
            };
        }

        // Bedrock counts as Anthropic does: cache reads and writes outside inputTokens. An InvokeModel
        // model's own usage may be OpenAI's shape instead (cached tokens inside the prompt's): both add up.
        return Api is ApiKind.AnthropicMessages or ApiKind.BedrockConverse or ApiKind.BedrockInvoke
            ? new TokenUsage
            {
                InputTokens = c.Input + c.CacheCreation + c.CacheRead,
                CachedInputTokens = c.CacheRead + c.Cached,
                CacheWriteTokens = c.CacheCreation,
                OutputTokens = c.Output,
                ReasoningTokens = c.Reasoning,
                Status = status,
            }
            : new TokenUsage
            {
                InputTokens = c.Input,
                CachedInputTokens = c.Cached,
                CacheWriteTokens = c.CacheWrite,
                OutputTokens = c.Output,
                ReasoningTokens = c.Reasoning,
                Status = status,
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

    /// <summary>
    /// Gemini: every chunk of a stream carries <c>usageMetadata</c> with the counts so far (cumulative:
    /// the latest replaces); the chunk with a candidate's <c>finishReason</c> carries the final ones, and
    /// the stream then ends without a terminal event. An <c>error</c> object is a failure.
    /// </summary>
    private void ApplyGemini(in EventFacts facts, bool isWholeBody)
    {
        _finishReasonSeen |= facts.FinishReasonSeen;
        if (facts.UsageAt == UsageLocation.Root)
        {
            Replace(facts, isWholeBody || _finishReasonSeen ? UsageStatus.Reported : UsageStatus.Partial);
        }
        else if (facts.UsageMalformed)
        {
            _status = UsageStatus.Unknown;
        }

        if (facts.HasErrorObject)
        {
            Terminal = TerminalKind.Failed;
        }
        else if (isWholeBody)
        {
            Terminal = TerminalKind.Completed;
        }
    }

    /// <summary>
    /// Bedrock Converse: a body's <c>usage</c> is final; a stream's <c>messageStop</c> ends the response and
    /// the <c>metadata</c> event after it carries the usage (docs/protocol-notes.md §H).
    /// </summary>
    private void ApplyBedrockConverse(in EventFacts facts, bool isWholeBody)
    {
        if (facts.UsageAt == UsageLocation.Root)
        {
            Replace(facts, UsageStatus.Reported);
        }
        else if (facts.UsageMalformed)
        {
            _status = UsageStatus.Unknown;
        }

        if (isWholeBody || facts.Type == EventType.MessageStop)
        {
            Terminal = TerminalKind.Completed;
        }
    }

    /// <summary>
    /// Bedrock InvokeModel: the body is the model's own, whatever its shape. Bedrock's
    /// <c>amazon-bedrock-invocationMetrics</c> in a stream's last chunk is the final usage, and a body's
    /// comes in headers (<see cref="ApplyReported"/>). Until then, a usage object of the model's own in
    /// Anthropic's or OpenAI's shape (Claude's <c>message_start</c>) is kept as partial, so a stream cut
    /// short still bills what it read.
    /// </summary>
    private void ApplyBedrockInvoke(in EventFacts facts, bool isWholeBody)
    {
        if (facts.UsageAt == UsageLocation.InvocationMetrics)
        {
            Replace(facts, UsageStatus.Reported);
            Terminal = TerminalKind.Completed; // Bedrock adds the metrics to the stream's last chunk
            return;
        }

        if (_status != UsageStatus.Reported && !facts.UsageMalformed && facts.UsageAt is UsageLocation.Root or UsageLocation.Message)
        {
            Overlay(facts.Usage);
            _status = isWholeBody ? UsageStatus.Reported : UsageStatus.Partial;
        }

        if (isWholeBody)
        {
            Terminal = TerminalKind.Completed;
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
        // A usage object with only total_tokens (a legacy OpenAI-compatible shape) keeps its total but
        // cannot be priced: it is partial, never a reported zero. One with no counters at all is unknown.
        bool priceable = facts.Usage.Has(UsageFields.Input) || facts.Usage.Has(UsageFields.Output);
        _totalOnly = !priceable && !facts.UsageMalformed && facts.Usage.Has(UsageFields.Total);
        _status = facts.UsageMalformed ? UsageStatus.Unknown
            : _totalOnly ? UsageStatus.Partial
            : !priceable ? UsageStatus.Unknown
            : status;
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
