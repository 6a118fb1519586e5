using System.Text.Json;
using AkkaProxy.Pipeline.Rewrite;
using AkkaProxy.Pipeline.Routing;

namespace AkkaProxy.Pipeline.Tests.Conformance;

/// <summary>
/// <c>*_parse</c> and <c>route_detect</c>: a client request body. We never build message lists; we read
/// the model, <c>stream</c> and <c>stream_options</c> (<see cref="RequestBodyReader"/>), splice a new
/// model in without touching another byte (<see cref="JsonBodyEditor"/>), and route the model
/// (<see cref="ModelRouter"/>). Those are compared.
/// </summary>
internal static class RequestComparer
{
    public static void CompareParse(LlmproxyFixture fixture, FieldComparison comparison)
    {
        byte[] body = fixture.InputBytes;
        RequestBodyInfo? info = TryRead(body);
        comparison.Equal("accepted", !Observed.Has(fixture.Observed, "error"), info is not null);
        if (info is { } read)
        {
            JsonElement meta = fixture.Observed.GetProperty("meta");
            comparison.Equal("model", Observed.Str(meta, "model"), read.Model);
            comparison.Equal("stream", Observed.Bool(meta, "stream"), read.Stream);
        }

        // llmproxy keeps the raw body; we relay it with at most the model token replaced.
        comparison.Equal("raw_preserved", Observed.Bool(fixture.Observed, "raw_preserved"), info is { } valid && RewriteKeepsOtherBytes(body, valid));
    }

    public static void CompareRoute(LlmproxyFixture fixture, FieldComparison comparison)
    {
        byte[] body = fixture.InputBytes;
        RequestBodyInfo info = RequestBodyReader.Read(body);
        comparison.Equal("model", Observed.Str(fixture.Observed, "model"), info.Model);

        bool routed = ConformanceRouting.Router.TryResolve(info.Model, out ProviderRoute route, out _);
        comparison.Equal("provider_from_model", Observed.Str(fixture.Observed, "provider_from_model"), routed ? route.Provider.Name : "");
        if (routed && route.UpstreamModel != route.RequestedModel)
        {
            // What ModelRewriteStage sends upstream: the prefix gone, every other byte as the client sent it.
            byte[] rewritten = JsonBodyEditor.ReplaceModel(body, info, route.UpstreamModel);
            Assert.Equal(route.UpstreamModel, RequestBodyReader.Read(rewritten).Model);
            AssertOnlyModelTokenChanged(body, info, rewritten);
        }
    }

    /// <summary>Asserts <paramref name="rewritten"/> equals <paramref name="body"/> outside the model token.</summary>
    public static void AssertOnlyModelTokenChanged(byte[] body, RequestBodyInfo info, byte[] rewritten) =>
        Assert.True(OnlyModelTokenChanged(body, info, rewritten), "The model rewrite changed bytes outside the model token.");

    private static bool RewriteKeepsOtherBytes(byte[] body, RequestBodyInfo info)
    {
        if (info.Model is null)
        {
            return true; // nothing to rewrite: the body goes upstream as sent
        }

        byte[] rewritten = JsonBodyEditor.ReplaceModel(body, info, "conformance/" + info.Model + "-\u00e9\"");
        return RequestBodyReader.Read(rewritten).Model == "conformance/" + info.Model + "-\u00e9\""
            && OnlyModelTokenChanged(body, info, rewritten);
    }

    private static bool OnlyModelTokenChanged(byte[] body, RequestBodyInfo info, byte[] rewritten)
    {
        (int offset, int length) = info.ModelToken.GetOffsetAndLength(body.Length);
        int tail = body.Length - offset - length;
        return rewritten.Length >= offset + tail
            && rewritten.AsSpan(0, offset).SequenceEqual(body.AsSpan(0, offset))
            && rewritten.AsSpan(rewritten.Length - tail).SequenceEqual(body.AsSpan(offset + length));
    }

    private static RequestBodyInfo? TryRead(byte[] body)
    {
        try
        {
            return RequestBodyReader.Read(body);
        }
        catch (RequestBodyException)
        {
            return null;
        }
    }
}
