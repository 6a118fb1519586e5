using System.Globalization;
using System.Text;
using System.Text.Json;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Tests.Conformance;

/// <summary>
/// <c>cost</c>: a pricing case. The case's counters are written as the usage object of the API whose
/// field names they use (Anthropic's <c>cache_*_input_tokens</c>, otherwise Chat Completions'
/// <c>prompt_tokens_details</c>), read back through our usage extraction, and priced with
/// <see cref="PricingTable.Cost(ModelPrice, TokenUsage)"/>. Prices are USD per million tokens.
/// </summary>
internal static class CostComparer
{
    private const decimal Tolerance = 1e-9m;

    public static void Compare(LlmproxyFixture fixture, FieldComparison comparison)
    {
        using JsonDocument document = JsonDocument.Parse(fixture.Input);
        JsonElement input = document.RootElement;
        var price = new ModelPrice
        {
            Input = Observed.Decimal(input, "Cost", "Input") ?? 0,
            Output = Observed.Decimal(input, "Cost", "Output") ?? 0,
            CachedInput = Observed.Decimal(input, "Cost", "CacheRead"),
            CacheWrite = Observed.Decimal(input, "Cost", "CacheWrite"),
        };

        TokenUsage usage = Extract(input);
        JsonElement result = fixture.Observed.GetProperty("result");
        comparison.Equal("PromptTokens", Observed.Long(result, "PromptTokens"), usage.InputTokens);
        comparison.Equal("CompletionTokens", Observed.Long(result, "CompletionTokens"), usage.OutputTokens);
        comparison.Equal("CachedTokens", Observed.Long(result, "CachedTokens"), usage.CachedInputTokens);
        comparison.Equal("TotalTokens", Observed.Long(result, "TotalTokens"), usage.TotalTokens);
        comparison.Close("TotalCost", Observed.Decimal(result, "TotalCost") ?? 0, PricingTable.Cost(price, usage), Tolerance);
    }

    private static TokenUsage Extract(JsonElement input)
    {
        long cached = Observed.Long(input, "Cache", "cached_tokens");
        long cacheWrite = Observed.Long(input, "Cache", "cache_write_tokens");
        bool anthropic = Observed.Has(input, "Cache", "cache_read_input_tokens") || Observed.Has(input, "Cache", "cache_creation_input_tokens");
        var body = new StringBuilder();
        body.Append(CultureInfo.InvariantCulture, $"{{\"usage\":{{\"{(anthropic ? "input_tokens" : "prompt_tokens")}\":{Observed.Long(input, "Prompt")}");
        body.Append(CultureInfo.InvariantCulture, $",\"{(anthropic ? "output_tokens" : "completion_tokens")}\":{Observed.Long(input, "Completion")}");
        if (Observed.Has(input, "Cache", "cache_read_input_tokens"))
        {
            body.Append(CultureInfo.InvariantCulture, $",\"cache_read_input_tokens\":{Observed.Long(input, "Cache", "cache_read_input_tokens")}");
        }

        if (Observed.Has(input, "Cache", "cache_creation_input_tokens"))
        {
            body.Append(CultureInfo.InvariantCulture, $",\"cache_creation_input_tokens\":{Observed.Long(input, "Cache", "cache_creation_input_tokens")}");
        }

        body.Append(CultureInfo.InvariantCulture, $",\"{(anthropic ? "input_tokens_details" : "prompt_tokens_details")}\":{{\"cached_tokens\":{cached},\"cache_write_tokens\":{cacheWrite}}}}}}}");
        byte[] bytes = Encoding.UTF8.GetBytes(body.ToString());
        DriveResult result = PipelineDriver.Body(anthropic ? ApiKind.AnthropicMessages : ApiKind.ChatCompletions, bytes, bytes.Length);
        return result.Usage;
    }
}
