using System.Text;
using Microsoft.AspNetCore.Http;

namespace AkkaProxy.Host.Tests.Fakes;

/// <summary>
/// The fake provider's Gemini endpoints (<c>POST /v1beta/models/{model}:generateContent</c> and
/// <c>:streamGenerateContent?alt=sse</c>) in Google's wire format: SSE chunks of
/// <c>GenerateContentResponse</c> separated by CRLF blank lines, each with the <c>usageMetadata</c> so far,
/// the last with <c>finishReason</c> and the final counts; errors as <c>{"error":{code,message,status}}</c>.
/// The model picks the behaviour: normal by default; <c>status-NNN</c> answers that error;
/// <c>gem-cut</c> stops the stream after its first chunk (no finishing chunk); <c>gem-blocked</c> answers as
/// Gemini does a prompt it blocks (one chunk with <c>promptFeedback.blockReason</c>, no candidate).
/// </summary>
public static class FakeGemini
{
    // usageMetadata of the finishing chunk: the prompt counts the cached content; thoughts apart from the candidates.
    public const int Prompt = 412, Cached = 256, Candidates = 38, Thoughts = 64;

    public const string ResponseId = "gem-resp-1";

    public static async Task HandleAsync(HttpContext ctx, FakeUpstream fake)
    {
        string target = Uri.UnescapeDataString(ctx.Request.RouteValues["target"]?.ToString() ?? "");
        int colon = target.LastIndexOf(':');
        string model = target[..colon];
        bool stream = target[(colon + 1)..] == "streamGenerateContent";
        using var body = new MemoryStream();
        await ctx.Request.Body.CopyToAsync(body);
        fake.Record(new RecordedRequest(ctx.Request.Path, ctx.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body.ToArray()) { Query = ctx.Request.QueryString.Value ?? "" });

        if (model.StartsWith("status-", StringComparison.Ordinal))
        {
            int status = int.Parse(model["status-".Length..], System.Globalization.CultureInfo.InvariantCulture);
            ctx.Response.StatusCode = status;
            ctx.Response.ContentType = "application/json; charset=UTF-8";
            string name = status == 429 ? "RESOURCE_EXHAUSTED" : "INTERNAL";
            await ctx.Response.WriteAsync($$$"""{"error":{"code":{{{status}}},"message":"fake {{{status}}} for {{{model}}}","status":"{{{name}}}"}}""");
            return;
        }

        if (!stream)
        {
            ctx.Response.ContentType = "application/json; charset=UTF-8";
            await ctx.Response.WriteAsync(Chunk(model, FakeUpstream.Text, final: true));
            return;
        }

        ctx.Response.ContentType = "text/event-stream";
        if (model == "gem-blocked")
        {
            // A prompt Gemini blocks: one chunk, its feedback and usage, no candidate.
            await ctx.Response.WriteAsync($$$"""data: {"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":{{{Prompt}}},"totalTokenCount":{{{Prompt}}}},"modelVersion":"{{{model}}}","responseId":"{{{ResponseId}}}"}""" + "\r\n\r\n");
            return;
        }

        string[] deltas = FakeUpstream.Deltas;
        for (int i = 0; i < deltas.Length; i++)
        {
            bool last = i == deltas.Length - 1;
            await ctx.Response.WriteAsync("data: " + Chunk(model, deltas[i], last, soFar: i + 1) + "\r\n\r\n");
            await ctx.Response.Body.FlushAsync();
            if (model == "gem-cut")
            {
                return;
            }
        }
    }

    /// <summary>The counts a chunk carries: the final ones on the finishing chunk, fewer candidates before it.</summary>
    public static (int Prompt, int Cached, int Candidates, int Thoughts) UsageAt(int chunk, bool final) =>
        final ? (Prompt, Cached, Candidates, Thoughts) : (Prompt, Cached, chunk * 3, Thoughts);

    private static string Chunk(string model, string text, bool final, int soFar = 0)
    {
        (int prompt, int cached, int candidates, int thoughts) = UsageAt(soFar, final);
        string finish = final ? ",\"finishReason\":\"STOP\"" : "";
        var usage = new StringBuilder();
        usage.Append($$"""{"promptTokenCount":{{prompt}},"candidatesTokenCount":{{candidates}},"totalTokenCount":{{prompt + candidates + thoughts}}""");
        usage.Append($$$""","cachedContentTokenCount":{{{cached}}},"promptTokensDetails":[{"modality":"TEXT","tokenCount":{{{prompt}}}}],"cacheTokensDetails":[{"modality":"TEXT","tokenCount":{{{cached}}}}],"thoughtsTokenCount":{{{thoughts}}}}""");
        return $$$"""{"candidates":[{"content":{"parts":[{"text":"{{{text}}}"}],"role":"model"}{{{finish}}},"index":0}],"usageMetadata":{{{usage}}},"modelVersion":"{{{model}}}","responseId":"{{{ResponseId}}}"}""";
    }
}
