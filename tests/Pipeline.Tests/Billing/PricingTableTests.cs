using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Tests.Billing;

public sealed class PricingTableTests
{
    private static readonly PricingTable Table = new(new Dictionary<string, ModelPrice>
    {
        ["gpt-4o"] = new() { Input = 2.50m, CachedInput = 1.25m, Output = 10m },
        ["gpt-4o*"] = new() { Input = 99m, Output = 99m },
        ["anthropic/claude-*"] = new() { Input = 3m, CachedInput = 0.30m, CacheWrite = 3.75m, Output = 15m },
        ["cheap-*"] = new() { Input = 1m, Output = 2m },
    });

    [Fact]
    public void Cost_IsUncachedPlusCachedPlusCacheWritePlusOutput_ReasoningNotTwice()
    {
        var usage = new TokenUsage { InputTokens = 1000, CachedInputTokens = 800, CacheWriteTokens = 0, OutputTokens = 500, ReasoningTokens = 400, Status = UsageStatus.Reported };

        decimal? cost = Table.Cost("openai", "gpt-4o", usage);

        Assert.Equal((200 * 2.50m + 800 * 1.25m + 500 * 10m) / 1_000_000m, cost);
    }

    [Fact]
    public void CacheWrites_ArePricedAtTheirOwnRate()
    {
        var usage = new TokenUsage { InputTokens = 3 + 2048, CacheWriteTokens = 2048, OutputTokens = 42, Status = UsageStatus.Reported };

        Assert.Equal((3 * 3m + 2048 * 3.75m + 42 * 15m) / 1_000_000m, Table.Cost("anthropic", "claude-sonnet-4", usage));
    }

    [Fact]
    public void MissingCachedPrice_FallsBackToTheInputPrice()
    {
        var usage = new TokenUsage { InputTokens = 1000, CachedInputTokens = 800, OutputTokens = 500, Status = UsageStatus.Reported };

        Assert.Equal((1000 * 1m + 500 * 2m) / 1_000_000m, Table.Cost("any", "cheap-model", usage));
    }

    [Fact]
    public void ExactKeyWinsOverPattern_AndProviderQualifiedKeysMatch()
    {
        Assert.Equal(2.50m, Table.Find("openai", "gpt-4o")!.Input);
        Assert.Equal(99m, Table.Find("openai", "gpt-4o-mini")!.Input);
        Assert.NotNull(Table.Find("anthropic", "claude-haiku"));
        Assert.Null(Table.Find("bedrock", "claude-haiku"));
    }

    [Fact]
    public void UnknownModel_CostsNullNotZero()
    {
        Assert.Null(Table.Cost("openai", "unpriced", new TokenUsage { InputTokens = 10, Status = UsageStatus.Reported }));
    }

    [Fact]
    public void NegativePrice_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => new PricingTable(new Dictionary<string, ModelPrice> { ["m"] = new() { Input = -1 } }));
    }
}
