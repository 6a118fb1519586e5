using System.Text.Json;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Tests.Conformance;

/// <summary>
/// <c>*_stream</c> and <c>*_extract</c>: a whole upstream response (an SSE stream, or a JSON body when
/// the fixture is an extract or set <c>application/json</c>) through the stage chain. Compares usage,
/// id, model, the Responses status and whether the client received the bytes unchanged.
/// </summary>
internal static class ResponseComparer
{
    public static void Compare(LlmproxyFixture fixture, FieldComparison comparison)
    {
        ApiKind api = ApiSelection.Of(fixture);
        bool isBody = fixture.Kind.EndsWith("_extract", StringComparison.Ordinal)
            || fixture.ContentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase);
        byte[] input = fixture.InputBytes;

        DriveResult ours = isBody ? PipelineDriver.Body(api, input, input.Length) : PipelineDriver.Sse(api, input, input.Length);
        DriveResult trickled = isBody ? PipelineDriver.Body(api, input, 1) : PipelineDriver.Sse(api, input, 1);
        AssertSameOutcome(ours, trickled);
        if (!isBody)
        {
            // Our decoder never changes a byte, whatever the stages then decide.
            Assert.Equal(input, ours.DecodedRaw);
        }

        JsonElement meta = fixture.Observed.GetProperty("meta");
        UsageComparison.Compare(comparison, LlmproxyUsage.FromMeta(meta), ours.Usage);
        comparison.Equal("id", Observed.Str(meta, "id"), ours.ResponseId);
        comparison.Equal("model", Observed.Str(meta, "model"), ours.ResponseModel);

        string status = Observed.Str(meta, "custom", "status");
        if (status.Length > 0)
        {
            comparison.Equal("status", status, UsageComparison.StatusOf(ours.Terminal));
        }

        string passThrough = fixture.Kind.EndsWith("_extract", StringComparison.Ordinal) ? "raw_preserved" : "passthrough_exact";
        comparison.Equal(passThrough, Observed.Bool(fixture.Observed, passThrough), ours.ClientBytes.AsSpan().SequenceEqual(input));
    }

    /// <summary>One byte per read must end exactly like one read of everything.</summary>
    private static void AssertSameOutcome(DriveResult whole, DriveResult trickled)
    {
        Assert.Equal(whole.Usage, trickled.Usage);
        Assert.Equal(whole.ResponseId, trickled.ResponseId);
        Assert.Equal(whole.ResponseModel, trickled.ResponseModel);
        Assert.Equal(whole.Terminal, trickled.Terminal);
        Assert.Equal(whole.Unreadable, trickled.Unreadable);
        Assert.Equal(whole.ClientBytes, trickled.ClientBytes);
        Assert.Equal(whole.DecodedRaw, trickled.DecodedRaw);
    }
}
