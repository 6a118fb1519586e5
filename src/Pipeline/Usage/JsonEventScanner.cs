using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;

namespace AkkaProxy.Pipeline.Usage;

/// <summary>
/// Walks the tokens of one JSON document with <see cref="Utf8JsonReader"/> and records the
/// <see cref="EventFacts"/> the relay needs: event type, usage counters, choices, error, ids.
/// </summary>
/// <remarks>
/// One instance per run (it holds the path of the document being read), reused for every
/// document of that run. It allocates nothing unless <see cref="CaptureId"/> or
/// <see cref="CaptureModel"/> asks it to copy out the response id or model. It supports incremental input: feed successive
/// <see cref="Utf8JsonReader"/>s built with the <see cref="ReaderState"/> it keeps.
/// </remarks>
internal sealed class JsonEventScanner
{
    private const int MaxTrackedDepth = 8;

    private readonly JsonName[] _containers = new JsonName[MaxTrackedDepth];
    private JsonName _property;
    private int _usageDepth = -1;

    /// <summary>Facts of the document read since the last <see cref="Reset"/>.</summary>
    public EventFacts Facts;

    /// <summary>When true, <see cref="Id"/> and <see cref="Model"/> are copied out as strings (sets or reads both <see cref="CaptureId"/> and <see cref="CaptureModel"/>).</summary>
    public bool CaptureIdentity
    {
        get => CaptureId || CaptureModel;
        set => CaptureId = CaptureModel = value;
    }

    /// <summary>When true, <see cref="Id"/> is copied out as a string.</summary>
    public bool CaptureId { get; set; }

    /// <summary>When true, <see cref="Model"/> is copied out as a string.</summary>
    public bool CaptureModel { get; set; }

    /// <summary>The response id (<c>id</c>, <c>response.id</c> or <c>message.id</c>) when captured.</summary>
    public string? Id { get; private set; }

    /// <summary>The model the upstream reported, when captured.</summary>
    public string? Model { get; private set; }


    /// <summary>Whether Bedrock's <c>amazon-bedrock-invocationMetrics</c> is usage (an InvokeModel stream's chunks); other APIs' documents never name it.</summary>
    public bool ReadsInvocationMetrics { get; set; }

    /// <summary>Whether the document's top-level object or array has been closed.</summary>
    public bool RootClosed { get; private set; }

    /// <summary>Reader state carried between chunks of one document read incrementally.</summary>
    public JsonReaderState ReaderState { get; private set; }

    /// <summary>Starts a new document.</summary>
    public void Reset()
    {
        Facts = default;
        RootClosed = false;
        _property = JsonName.Other;
        _usageDepth = -1;
        Id = null;
        Model = null;
        ReaderState = default;
    }

    /// <summary>Reads one complete document held in <paramref name="json"/>.</summary>
    /// <exception cref="JsonException">The bytes are not one valid JSON document.</exception>
    public void ScanDocument(in System.Buffers.ReadOnlySequence<byte> json)
    {
        Reset();
        var reader = new Utf8JsonReader(json, isFinalBlock: true, state: default);
        Scan(ref reader);
    }

    /// <summary>Reads one complete document held in <paramref name="json"/>.</summary>
    /// <exception cref="JsonException">The bytes are not one valid JSON document.</exception>
    public void ScanDocument(ReadOnlySpan<byte> json)
    {
        Reset();
        var reader = new Utf8JsonReader(json, isFinalBlock: true, state: default);
        Scan(ref reader);
    }

    /// <summary>Reads every complete token <paramref name="reader"/> holds and keeps its state for the next chunk.</summary>
    public void Scan(ref Utf8JsonReader reader)
    {
        while (reader.Read())
        {
            OnToken(ref reader);
        }

        ReaderState = reader.CurrentState;
    }

    private void OnToken(ref Utf8JsonReader reader)
    {
        int depth = reader.CurrentDepth;
        switch (reader.TokenType)
        {
            case JsonTokenType.PropertyName:
                _property = JsonNames.Identify(ref reader);
                return;
            case JsonTokenType.StartObject:
            case JsonTokenType.StartArray:
                OnContainerStart(depth, reader.TokenType == JsonTokenType.StartArray);
                return;
            case JsonTokenType.EndObject:
            case JsonTokenType.EndArray:
                RootClosed |= depth == 0;
                if (depth == _usageDepth)
                {
                    _usageDepth = -1;
                }

                _property = JsonName.Other;
                return;
            default:
                OnValue(ref reader, depth);
                return;
        }
    }

    private void OnContainerStart(int depth, bool isArray)
    {
        JsonName name = depth == 0 ? JsonName.Other
            : Parent(depth) == JsonName.Choices ? JsonName.ArrayItem
            : _property;
        if (depth < MaxTrackedDepth)
        {
            _containers[depth] = name;
        }

        _property = JsonName.Other;
        if (depth == 2 && Parent(2) == JsonName.Choices)
        {
            Facts.ChoiceCount++;
        }

        if (name == JsonName.InvocationMetrics && depth == 1 && !isArray && ReadsInvocationMetrics)
        {
            // Bedrock's own count: it replaces whatever a usage object of the model's said before it.
            _usageDepth = depth;
            Facts.Usage = default;
            Facts.UsageMalformed = false;
            Facts.UsageAt = UsageLocation.InvocationMetrics;
        }
        else if (name == JsonName.Usage && Facts.UsageAt != UsageLocation.InvocationMetrics)
        {
            UsageLocation at = UsageLocationAt(depth);
            if (at != UsageLocation.None)
            {
                if (isArray)
                {
                    Facts.UsageMalformed = true;
                }
                else
                {
                    _usageDepth = depth;
                    Facts.UsageAt = at;
                }
            }
        }
        else if (depth == 1 && name == JsonName.Choices && isArray)
        {
            Facts.HasChoices = true;
        }
        else if (depth == 1 && name == JsonName.Error)
        {
            Facts.HasErrorObject = true;
        }
    }

    private void OnValue(ref Utf8JsonReader reader, int depth)
    {
        JsonName name = _property;
        _property = JsonName.Other;
        if (_usageDepth >= 0)
        {
            OnUsageValue(ref reader, depth, name);
            return;
        }

        if (name == JsonName.Usage && UsageLocationAt(depth) != UsageLocation.None)
        {
            if (reader.TokenType == JsonTokenType.Null)
            {
                Facts.UsageIsNull = true;
            }
            else
            {
                Facts.UsageMalformed = true;
            }

            return;
        }

        bool isString = reader.TokenType == JsonTokenType.String;
        if (depth == 1)
        {
            switch (name)
            {
                case JsonName.Type when isString:
                    Facts.Type = EventTypes.Identify(ref reader);
                    return;
                case JsonName.SequenceNumber when TryGetInt64(ref reader, out long sequence):
                    Facts.HasSequenceNumber = true;
                    Facts.SequenceNumber = sequence;
                    return;
                case JsonName.Error when reader.TokenType != JsonTokenType.Null:
                    Facts.HasErrorObject = true;
                    return;
                case JsonName.StopReason when isString:
                    Facts.StopReasonSeen = true;
                    return;
                case JsonName.Status when isString:
                    Facts.Status = IdentifyStatus(ref reader);
                    return;
            }
        }

        if (depth == 2)
        {
            JsonName parent = Parent(2);
            if (parent == JsonName.Response && name == JsonName.Status && isString)
            {
                Facts.Status = IdentifyStatus(ref reader);
                return;
            }

            if (parent == JsonName.Delta && name == JsonName.StopReason && isString)
            {
                Facts.StopReasonSeen = true;
                return;
            }

            if (parent == JsonName.PromptFeedback && name == JsonName.BlockReason && isString)
            {
                Facts.FinishReasonSeen = true; // Gemini blocked the prompt: this chunk is the whole answer
                return;
            }
        }

        if (depth == 3 && name == JsonName.FinishReason && isString && Parent(3) == JsonName.ArrayItem && Parent(2) == JsonName.Choices)
        {
            Facts.FinishReasonSeen = true;
            return;
        }

        if (isString && ((name == JsonName.Id && CaptureId) || (name == JsonName.Model && CaptureModel)) && IsIdentityDepth(depth))
        {
            if (name == JsonName.Id)
            {
                Id ??= reader.GetString();
            }
            else
            {
                Model ??= reader.GetString();
            }
        }
    }

    private void OnUsageValue(ref Utf8JsonReader reader, int depth, JsonName name)
    {
        int relative = depth - _usageDepth;
        UsageFields field = relative switch
        {
            1 => name switch
            {
                JsonName.PromptTokens or JsonName.InputTokens => UsageFields.Input,
                JsonName.CompletionTokens or JsonName.OutputTokens => UsageFields.Output,
                JsonName.CacheCreationInputTokens => UsageFields.CacheCreation,
                JsonName.CacheReadInputTokens => UsageFields.CacheRead,
                JsonName.TotalTokens => UsageFields.Total,
                JsonName.CachedContentTokenCount => UsageFields.Cached,
                JsonName.ThoughtsTokenCount => UsageFields.Reasoning,
                JsonName.ToolUsePromptTokenCount => UsageFields.ToolUsePrompt,
                _ => UsageFields.None,
            },
            2 => (Parent(depth), name) switch
            {
                (JsonName.PromptTokensDetails or JsonName.InputTokensDetails, JsonName.CachedTokens) => UsageFields.Cached,
                (JsonName.PromptTokensDetails or JsonName.InputTokensDetails, JsonName.CacheWriteTokens) => UsageFields.CacheWrite,
                (JsonName.CompletionTokensDetails or JsonName.OutputTokensDetails, JsonName.ReasoningTokens) => UsageFields.Reasoning,
                _ => UsageFields.None,
            },
            _ => UsageFields.None,
        };

        if (field == UsageFields.None || reader.TokenType == JsonTokenType.Null)
        {
            return;
        }

        if (reader.TokenType == JsonTokenType.Number && TryGetInt64(ref reader, out long value) && value >= 0)
        {
            Facts.Usage.Set(field, value);
        }
        else
        {
            Facts.UsageMalformed = true;
        }
    }

    private UsageLocation UsageLocationAt(int depth) => depth switch
    {
        1 => UsageLocation.Root,
        2 when Parent(2) == JsonName.Response => UsageLocation.Response,
        2 when Parent(2) == JsonName.Message => UsageLocation.Message,
        _ => UsageLocation.None,
    };

    private bool IsIdentityDepth(int depth) =>
        depth == 1 || (depth == 2 && Parent(2) is JsonName.Response or JsonName.Message);

    /// <summary>The name of the container that holds tokens at <paramref name="depth"/>.</summary>
    private JsonName Parent(int depth) =>
        depth - 1 is >= 0 and < MaxTrackedDepth ? _containers[depth - 1] : JsonName.Other;

    /// <summary>
    /// <see cref="Utf8JsonReader.TryGetInt64"/> without its allocation: for a number split across
    /// segments it copies the token to a new array; here the copy goes to the stack.
    /// </summary>
    private static bool TryGetInt64(ref Utf8JsonReader reader, out long value)
    {
        if (reader.TokenType != JsonTokenType.Number)
        {
            value = 0;
            return false; // "sequence_number": null or a string is not ours to judge; it is ignored.
        }

        if (!reader.HasValueSequence)
        {
            return reader.TryGetInt64(out value);
        }

        // The longest int64 is 20 bytes ("-9223372036854775808"); a longer token cannot be one.
        ReadOnlySequence<byte> sequence = reader.ValueSequence;
        Span<byte> digits = stackalloc byte[32];
        if (sequence.Length > digits.Length)
        {
            value = 0;
            return false;
        }

        digits = digits[..(int)sequence.Length];
        sequence.CopyTo(digits);
        return Utf8Parser.TryParse(digits, out value, out int consumed) && consumed == digits.Length;
    }

    private static ResponseStatus IdentifyStatus(ref Utf8JsonReader reader)
    {
        if (reader.ValueTextEquals("completed"u8))
        {
            return ResponseStatus.Completed;
        }

        if (reader.ValueTextEquals("failed"u8))
        {
            return ResponseStatus.Failed;
        }

        return reader.ValueTextEquals("incomplete"u8) ? ResponseStatus.Incomplete : ResponseStatus.Other;
    }
}
