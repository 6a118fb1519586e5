using System.Text;
using System.Text.Json;

namespace AkkaProxy.Pipeline.Tests.Conformance;

/// <summary>One entry of <c>llmproxy-fixtures.json</c>: an input and what the Go library llmproxy produced from it.</summary>
/// <param name="Id"><c>package:TestName#n</c>, the llmproxy test that holds the input.</param>
/// <param name="Kind">What the input is (<c>chat_stream</c>, <c>ws_usage</c>, <c>cost</c>, …).</param>
/// <param name="Input">The input text, byte-exact once encoded as UTF-8.</param>
/// <param name="ContentType">The content type the llmproxy test set, or empty.</param>
/// <param name="ApiType">The API type the llmproxy test set, or empty.</param>
/// <param name="Observed">What llmproxy returned.</param>
internal sealed record LlmproxyFixture(string Id, string Kind, string Input, string ContentType, string ApiType, JsonElement Observed)
{
    /// <summary>The input bytes, exactly as the llmproxy test fed them.</summary>
    public byte[] InputBytes => Encoding.UTF8.GetBytes(Input);

    /// <summary>Reads one entry; the observed value is cloned so it outlives the document.</summary>
    public static LlmproxyFixture From(JsonElement entry) => new(
        entry.GetProperty("id").GetString() ?? "",
        entry.GetProperty("kind").GetString() ?? "",
        entry.GetProperty("input").GetString() ?? "",
        entry.TryGetProperty("ct", out JsonElement ct) ? ct.GetString() ?? "" : "",
        entry.TryGetProperty("api_type", out JsonElement api) ? api.GetString() ?? "" : "",
        entry.GetProperty("observed").Clone());

    /// <inheritdoc />
    public override string ToString() => Id;
}
