namespace AkkaProxy.Pipeline.Tests.Conformance;

/// <summary>
/// Runs every entry of the llmproxy conformance corpus (<c>Conformance/Corpus/llmproxy-fixtures.json</c>,
/// vendored in this project and copied to the test output directory; see the README beside it)
/// through our decoder, usage extraction, request reader, router and pricing, and compares with what
/// llmproxy produced. An entry passes when it agrees, or when it differs and <see cref="Deviations"/>
/// says why; a listed entry that agrees fails, so no reason goes stale. A missing or unreadable corpus
/// fails every test here with the path that was tried; it never skips or passes with nothing compared.
/// </summary>
public sealed class LlmproxyConformanceTests
{
    private const string CorpusMissing = "(llmproxy corpus missing)";

    private static readonly string[] ResponseKinds =
        ["chat_stream", "responses_stream", "anthropic_stream", "multi_stream", "chat_extract", "responses_extract", "anthropic_extract"];

    private static readonly string[] ParseKinds = ["chat_parse", "responses_parse", "anthropic_parse", "multi_parse"];

    /// <summary>Fixture id → why we deliberately differ from llmproxy on it (one line each).</summary>
    private static readonly Dictionary<string, string> Deviations = new(StringComparer.Ordinal)
    {
        // Anthropic total input: input_tokens + cache_creation_input_tokens + cache_read_input_tokens (docs/protocol-notes.md §D).
        ["root:TestAnthropicSSEParser#1"] = "our Anthropic input counts the 1000 cache-read tokens (150 + 1000, total 1175); llmproxy reports input_tokens alone",
        ["anthropic:TestExtractor#2"] = "our Anthropic input counts cache reads and writes (50 + 1000 + 500, total 1555); llmproxy reports input_tokens alone",
        ["root:TestParseAnthropicSSEEvent#2"] = "message_start alone: our input counts the 1000 cache-read tokens and our total is input + output; llmproxy reports input_tokens alone and leaves an event's total 0",
        ["root:TestParseAnthropicSSEEvent#3"] = "message_delta alone: our total is input + output (75); llmproxy leaves a single event's total 0",
        // Terminal events.
        ["root:TestParseResponsesSSEEvent_Done#1"] = "data: [DONE] in a Responses stream is tolerated but does not end it for us: Responses ends with response.completed/failed/incomplete (docs/protocol-notes.md §B), so a stream cut after a bare [DONE] is reported truncated, not completed",

        // Pricing: cache writes are billed, and Anthropic cache fields are read by their definition, not guessed.
        ["billing:EXTRA_CacheCreationNotBilledSeparately"] = "the 2048 Anthropic cache_creation_input_tokens are input billed at the CacheWrite price (3.75); llmproxy never bills cache writes",
        ["billing:EXTRA_BedrockCacheWriteIgnored"] = "the 20 cache_write_tokens are billed at the CacheWrite price (3.75) instead of as plain input (3.0); llmproxy never bills cache writes",
        ["billing:EXTRA_CachedEqualsPromptIsOpenAIStyle"] = "Anthropic cache_read_input_tokens is outside input_tokens by definition, so input is 500 + 500; llmproxy guesses reads are inside Prompt whenever they do not exceed it",
        ["billing:TestCalculateCost_MixedProviderCacheFields"] = "mixes OpenAI cached_tokens with Anthropic cache_read_input_tokens, which no API sends; read as Anthropic usage we add the 200 cache reads to input and ignore cached_tokens, llmproxy sums both inside Prompt",
    };

    /// <summary>Kinds we do not run at all, with the reason. Every kind in the corpus is at least partly comparable today.</summary>
    private static readonly Dictionary<string, string> NotApplicableKinds = new(StringComparer.Ordinal);

    /// <summary>What llmproxy reports that has no counterpart in our design, per kind, and why it is not compared.</summary>
    private static readonly (string[] Kinds, string Field, string Reason)[] NotCompared =
    [
        (ResponseKinds, "meta.choices, meta.object", "we relay the body as bytes and never build choices, message text or the object name; only usage, id, model and the terminal status are read"),
        (["responses_extract"], "meta.custom.output, meta.custom.output_raw", "output items are relayed as bytes, never decoded"),
        (["responses_extract"], "meta.custom.error", "a response's error only sets our terminal kind (compared as status); its code and message reach the client untouched"),
        (["responses_stream", "responses_extract", "multi_stream"], "meta.custom.api_type", "our API is fixed by the endpoint path (/v1/chat/completions, /v1/responses, /v1/messages), never detected from the payload"),
        (["anthropic_extract"], "meta.custom.cache_usage.ephemeral_5m_input_tokens", "the 5m/1h split of Anthropic cache writes is not priced separately; only cache_creation_input_tokens is read"),
        (["sse_parse"], "events[].id", "the decoder does not keep `id:` lines: a relay never resumes a stream with Last-Event-ID, and the raw bytes pass through anyway"),
        (["ws_usage"], "parsed.previous_response_id", "WebSocket mode has no transport yet; the scanner reads a frame's type, model, id and usage but not previous_response_id"),
        (["ws_usage"], "asserted (socket relay, close handling, non-WebSocket provider errors)", "no WebSocket transport yet: only each frame's scan is compared"),
        (ParseKinds, "meta.messages, meta.max_tokens, meta.custom", "we never build message lists or read sampling fields: the body is relayed byte-for-byte and only model, stream and stream_options are read"),
        (["route_detect"], "api_type_body_detected_provider, api_type_body_openai, api_type_multi_parser", "our API comes from the endpoint path, never guessed from the body"),
        (["cost"], "header_X-Gateway-Cost", "we emit no cost header; the cost goes on the billing record (TotalCost is compared)"),
        (["cost"], "result.InputCost, result.CachedInputCost, result.OutputCost", "PricingTable.Cost returns one total, not a per-part breakdown"),
    ];

    public static IEnumerable<object[]> FixtureIds()
    {
        if (LlmproxyCorpus.LoadError is not null)
        {
            yield return [CorpusMissing]; // one case that fails with the loader's message, never a silent empty theory
            yield break;
        }

        foreach (LlmproxyFixture fixture in LlmproxyCorpus.Fixtures)
        {
            yield return [fixture.Id];
        }
    }

    [Theory]
    [MemberData(nameof(FixtureIds))]
    public void Fixture_AgreesWithLlmproxy_OrHasListedReason(string id)
    {
        LlmproxyFixture fixture = LlmproxyCorpus.Get(id);
        if (NotApplicableKinds.ContainsKey(fixture.Kind))
        {
            Assert.False(Deviations.ContainsKey(id), $"{id} is of a kind we do not run; its deviation entry is stale.");
            return;
        }

        Assert.True(FixtureComparers.ByKind.TryGetValue(fixture.Kind, out Action<LlmproxyFixture, FieldComparison>? compare), $"No comparer for kind '{fixture.Kind}'.");
        var comparison = new FieldComparison();
        compare(fixture, comparison);
        Assert.True(comparison.Compared > 0, $"{id}: nothing was compared.");

        bool listed = Deviations.TryGetValue(id, out string? reason);
        if (comparison.Differences.Count > 0 && !listed)
        {
            Assert.Fail($"{id} differs from llmproxy and no reason is listed in {nameof(Deviations)}:\n  {string.Join("\n  ", comparison.Differences)}");
        }

        if (comparison.Differences.Count == 0 && listed)
        {
            Assert.Fail($"{id} is listed as a deliberate difference (\"{reason}\") but now agrees with llmproxy: remove the stale entry.");
        }
    }

    [Fact]
    public void Corpus_Has190Entries_AndEveryKindIsHandled()
    {
        IReadOnlyList<LlmproxyFixture> fixtures = LlmproxyCorpus.Fixtures;
        Assert.Equal(LlmproxyCorpus.ExpectedCount, fixtures.Count);
        Assert.Equal(fixtures.Count, fixtures.Select(f => f.Id).Distinct(StringComparer.Ordinal).Count());

        foreach (string kind in fixtures.Select(f => f.Kind).Distinct(StringComparer.Ordinal))
        {
            bool compared = FixtureComparers.ByKind.ContainsKey(kind);
            bool notApplicable = NotApplicableKinds.TryGetValue(kind, out string? reason) && !string.IsNullOrWhiteSpace(reason);
            Assert.True(compared ^ notApplicable, $"Kind '{kind}' must be either compared or listed as not applicable with a reason (compared={compared}, not applicable={notApplicable}).");
        }
    }

    [Fact]
    public void ListedReasons_NameFixturesAndKindsThatExist()
    {
        var ids = LlmproxyCorpus.Fixtures.Select(f => f.Id).ToHashSet(StringComparer.Ordinal);
        var kinds = LlmproxyCorpus.Fixtures.Select(f => f.Kind).ToHashSet(StringComparer.Ordinal);
        Assert.All(Deviations, entry => Assert.Contains(entry.Key, ids));
        Assert.All(Deviations, entry => Assert.False(string.IsNullOrWhiteSpace(entry.Value)));
        Assert.All(NotCompared, entry => Assert.False(string.IsNullOrWhiteSpace(entry.Reason)));
        Assert.All(NotCompared.SelectMany(entry => entry.Kinds), kind => Assert.Contains(kind, kinds));
        Assert.All(FixtureComparers.ByKind.Keys, kind => Assert.Contains(kind, kinds));
    }
}
