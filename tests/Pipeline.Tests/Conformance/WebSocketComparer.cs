using System.Text;
using System.Text.Json;
using AkkaProxy.Pipeline.Rewrite;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Tests.Conformance;

/// <summary>
/// <c>ws_usage</c>: one WebSocket text frame, scanned as one JSON document and folded with the
/// Responses rules (a WebSocket turn carries the same events as the SSE stream, docs/protocol-notes.md §A).
/// Compares whether it parsed, its type and model, and its usage. A client <c>response.create</c>
/// whose model names a provider is also rewritten, and must keep every other byte.
/// </summary>
internal static class WebSocketComparer
{
    public static void Compare(LlmproxyFixture fixture, FieldComparison comparison)
    {
        byte[] frame = fixture.InputBytes;
        var scanner = new JsonEventScanner { CaptureIdentity = true };
        var accumulator = new UsageAccumulator(ApiKind.Responses);
        bool parsed;
        try
        {
            scanner.ScanDocument(frame);
            accumulator.Apply(scanner.Facts, scanner, isWholeBody: false);
            parsed = true;
        }
        catch (JsonException)
        {
            parsed = false;
        }

        bool llmproxyParsed = !Observed.Has(fixture.Observed, "parse_error");
        comparison.Equal("parsed", llmproxyParsed, parsed);
        if (!parsed || !llmproxyParsed)
        {
            return;
        }

        string type = Observed.Str(fixture.Observed, "parsed", "type");
        comparison.Equal("parsed.type", EventTypes.Identify(Encoding.UTF8.GetBytes(type)).ToString(), scanner.Facts.Type.ToString());
        comparison.Equal("parsed.model", Observed.Str(fixture.Observed, "parsed", "model"), scanner.Model);
        UsageComparison.Compare(comparison, LlmproxyUsage.FromEvent(Observed.Find(fixture.Observed, "usage")), accumulator.Snapshot(), comparePresence: true);
        if (Observed.Has(fixture.Observed, "cached_tokens"))
        {
            comparison.Equal("cached_tokens", Observed.Long(fixture.Observed, "cached_tokens"), accumulator.Snapshot().CachedInputTokens);
        }

        if (scanner.Facts.Type == EventType.ResponseCreate)
        {
            AssertRewriteKeepsOtherBytes(frame);
        }
    }

    private static void AssertRewriteKeepsOtherBytes(byte[] frame)
    {
        RequestBodyInfo info = RequestBodyReader.Read(frame);
        Assert.True(ConformanceRouting.Router.TryResolve(info.Model, out ProviderRoute route, out string error), error);
        if (route.UpstreamModel == route.RequestedModel)
        {
            return;
        }

        byte[] rewritten = JsonBodyEditor.ReplaceModel(frame, info, route.UpstreamModel);
        Assert.Equal(route.UpstreamModel, RequestBodyReader.Read(rewritten).Model);
        Assert.DoesNotContain($"\"{route.RequestedModel}\"", Encoding.UTF8.GetString(rewritten), StringComparison.Ordinal);
        RequestComparer.AssertOnlyModelTokenChanged(frame, info, rewritten);
    }
}
