using System.Buffers;
using System.Text;
using System.Text.Json;

namespace AkkaProxy.Pipeline.Tests.Conformance;

/// <summary>
/// <c>sse_parse</c>: an SSE stream through our decoder alone. Compares the events dispatched (frames
/// with data, as WHATWG dispatches them), their <c>event:</c> names and data, and checks that the
/// frames' raw bytes put together are the input, read whole or one byte at a time.
/// </summary>
internal static class SseParseComparer
{
    public static void Compare(LlmproxyFixture fixture, FieldComparison comparison)
    {
        byte[] input = fixture.InputBytes;
        List<(string Event, string Data)> events = Decode(input, input.Length, out byte[] raw);
        Assert.Equal(input, raw);
        Assert.Equal(events, Decode(input, 1, out _));

        JsonElement[] llmproxy = [.. fixture.Observed.GetProperty("events").EnumerateArray()];
        comparison.Equal("events.count", llmproxy.Length, events.Count);
        for (int i = 0; i < Math.Min(llmproxy.Length, events.Count); i++)
        {
            comparison.Equal($"events[{i}].event", Observed.Str(llmproxy[i], "event"), events[i].Event);
            comparison.Equal($"events[{i}].data", Observed.Str(llmproxy[i], "data"), events[i].Data);
        }
    }

    private static List<(string Event, string Data)> Decode(byte[] input, int readSize, out byte[] raw)
    {
        var events = new List<(string, string)>();
        var rawBytes = new ArrayBufferWriter<byte>();
        SseFeeder.Feed(input, readSize, 1024 * 1024, frame =>
        {
            rawBytes.Write(frame.Raw.ToArray());
            if (frame.HasData)
            {
                events.Add((Encoding.UTF8.GetString(frame.EventName), Encoding.UTF8.GetString(frame.Data)));
            }
        });
        raw = rawBytes.WrittenSpan.ToArray();
        return events;
    }
}
