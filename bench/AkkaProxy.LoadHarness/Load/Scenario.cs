using System.Text;
using AkkaProxy.LoadHarness.Fake;

namespace AkkaProxy.LoadHarness.Load;

/// <summary>
/// One load scenario: what a client sends and exactly what it must get back. The request bodies are
/// ordinary SDK-shaped requests (a system and a user message); Chat streams ask for usage
/// (<c>stream_options.include_usage</c>), as a billing-aware client does, so the relay forwards the
/// upstream's bytes unchanged and every target must deliver the same number of bytes. Without
/// <paramref name="KeepAlive"/> every request carries <c>Connection: close</c>, so each opens a new
/// connection to the target (what a client without keep-alive costs a proxy: accept, per-connection
/// setup, close).
/// </summary>
public sealed record Scenario(string Name, ScenarioKind Kind, int Events, bool KeepAlive = true)
{
    private const string System = "You are a concise assistant. Answer in plain prose, without lists or headings.";
    private const string User = "Explain in two short paragraphs how a streaming relay keeps its memory bounded while it forwards server-sent events from an upstream model to a slow client.";

    public bool IsStreaming => Kind is ScenarioKind.ChatSse or ScenarioKind.ResponsesSse or ScenarioKind.WebSocket;

    public string Path => Kind is ScenarioKind.ResponsesSse ? "/v1/responses" : "/v1/chat/completions";

    public string BareModel => BenchModel.ForEvents(Events);

    /// <summary>The upstream's answer, as every target must relay it.</summary>
    public RenderedBody Expected => RenderCache.Get(Kind switch
    {
        ScenarioKind.ChatSse => BodyShape.ChatSseWithUsage,
        ScenarioKind.ResponsesSse => BodyShape.ResponsesSse,
        ScenarioKind.Json => BodyShape.ChatJson,
        _ => BodyShape.ResponsesWebSocket,
    }, Events);

    /// <summary>The request body (or <c>response.create</c> message) naming <paramref name="model"/>.</summary>
    public byte[] RequestBody(string model) => Encoding.UTF8.GetBytes(Kind switch
    {
        ScenarioKind.ChatSse => $$$"""{"model":"{{{model}}}","stream":true,"stream_options":{"include_usage":true},"temperature":0.2,"messages":[{"role":"system","content":"{{{System}}}"},{"role":"user","content":"{{{User}}}"}]}""",
        ScenarioKind.Json => $$$"""{"model":"{{{model}}}","temperature":0.2,"messages":[{"role":"system","content":"{{{System}}}"},{"role":"user","content":"{{{User}}}"}]}""",
        ScenarioKind.ResponsesSse => $$$"""{"model":"{{{model}}}","stream":true,"instructions":"{{{System}}}","input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"{{{User}}}"}]}]}""",
        _ => $$$"""{"type":"response.create","model":"{{{model}}}","store":false,"instructions":"{{{System}}}","input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"{{{User}}}"}]}],"tools":[]}""",
    });
}
