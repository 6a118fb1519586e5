namespace AkkaProxy.Pipeline.Usage;

/// <summary>The raw counters of one usage object, with a flag for each one that was present.</summary>
internal struct UsageCounters
{
    public long Input;
    public long Output;
    public long Cached;
    public long CacheWrite;
    public long Reasoning;
    public long CacheCreation;
    public long CacheRead;
    public long Total;
    public long ToolUsePrompt;
    public UsageFields Present;

    public readonly bool Has(UsageFields field) => (Present & field) != 0;

    public void Set(UsageFields field, long value)
    {
        Present |= field;
        switch (field)
        {
            case UsageFields.Input: Input = value; break;
            case UsageFields.Output: Output = value; break;
            case UsageFields.Cached: Cached = value; break;
            case UsageFields.CacheWrite: CacheWrite = value; break;
            case UsageFields.Reasoning: Reasoning = value; break;
            case UsageFields.CacheCreation: CacheCreation = value; break;
            case UsageFields.CacheRead: CacheRead = value; break;
            case UsageFields.Total: Total = value; break;
            case UsageFields.ToolUsePrompt: ToolUsePrompt = value; break;
        }
    }
}

/// <summary>Which counters a usage object carried.</summary>
[Flags]
internal enum UsageFields : ushort
{
    None = 0,
    Input = 1,
    Output = 2,
    Cached = 4,
    CacheWrite = 8,
    Reasoning = 16,
    CacheCreation = 32,
    CacheRead = 64,
    Total = 128,
    ToolUsePrompt = 256,
}
