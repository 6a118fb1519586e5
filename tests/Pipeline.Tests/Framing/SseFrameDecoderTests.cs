using System.Buffers;
using System.Text;
using AkkaProxy.Pipeline.Framing;
using AkkaProxy.Pipeline.Tests.TestKit;
using static AkkaProxy.Pipeline.Tests.TestKit.SseFeeder;

namespace AkkaProxy.Pipeline.Tests.Framing;

/// <summary>The SSE decoder over a matrix: newline style × chunking × event shapes.</summary>
public sealed class SseFrameDecoderTests
{
    public static TheoryData<string, Chunking> Matrix()
    {
        var data = new TheoryData<string, Chunking>();
        foreach (string newline in new[] { "\n", "\r\n", "\r" })
        {
            foreach (Chunking chunking in Enum.GetValues<Chunking>())
            {
                data.Add(newline, chunking);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public void EveryShape_IsSplitIntoEventsWithoutChangingAByte(string nl, Chunking chunking)
    {
        string[] events =
        [
            $": keep-alive comment{nl}{nl}",
            $"event: response.created{nl}data: {{\"type\":\"response.created\"}}{nl}{nl}",
            $"data:{{\"no\":\"space\"}}{nl}{nl}",
            $"id: 42{nl}retry: 3000{nl}data: line one{nl}data: line two{nl}data:{nl}{nl}",
            $"event:ping{nl}data: {{}}{nl}: trailing comment{nl}{nl}",
            $"data: [DONE]{nl}{nl}",
            $"event: last{nl}data: no blank line at the end",
        ];
        byte[] input = Encoding.UTF8.GetBytes(string.Concat(events));

        (List<DecodedEvent> decoded, DecodeStatus last) = Decode(input, chunking);

        Assert.NotEqual(DecodeStatus.FrameTooLarge, last);
        Assert.Equal(events, decoded.Select(e => e.Raw));
        Assert.Equal(["", "response.created", "", "", "ping", "", "last"], decoded.Select(e => e.EventName));
        Assert.Equal([null, "{\"type\":\"response.created\"}", "{\"no\":\"space\"}", "line one\nline two\n", "{}", "[DONE]", "no blank line at the end"], decoded.Select(e => e.Data));
    }

    [Theory]
    [InlineData(Chunking.Whole)]
    [InlineData(Chunking.OneBytePerRead)]
    [InlineData(Chunking.SplitSegments)]
    public void EventsAfterDone_AreStillEvents(Chunking chunking)
    {
        byte[] input = Encoding.UTF8.GetBytes("data: [DONE]\n\ndata: {\"late\":1}\n\n");

        (List<DecodedEvent> decoded, _) = Decode(input, chunking);

        Assert.Equal(2, decoded.Count);
        Assert.Equal("{\"late\":1}", decoded[1].Data);
    }

    [Theory]
    [InlineData(Chunking.Whole)]
    [InlineData(Chunking.OneBytePerRead)]
    [InlineData(Chunking.SplitSegments)]
    public void EventLargerThanTheLimit_IsRefused_EvenWhenItNeverEnds(Chunking chunking)
    {
        byte[] small = Encoding.UTF8.GetBytes("data: ok\n\n");
        byte[] huge = Encoding.UTF8.GetBytes("data: " + new string('x', 4000));
        byte[] input = [.. small, .. huge];

        (List<DecodedEvent> decoded, DecodeStatus last) = Decode(input, chunking, maxEventBytes: 1024);

        Assert.Single(decoded);
        Assert.Equal(DecodeStatus.FrameTooLarge, last);
    }

    [Theory]
    [InlineData(Chunking.Whole)]
    [InlineData(Chunking.OneBytePerRead)]
    [InlineData(Chunking.SplitSegments)]
    public void ASingleUnterminatedLine_IsStillAnEventAtTheEnd(Chunking chunking)
    {
        (List<DecodedEvent> decoded, DecodeStatus last) = Decode(Encoding.UTF8.GetBytes("data: {\"only\":true}"), chunking);

        Assert.NotEqual(DecodeStatus.FrameTooLarge, last);
        Assert.Equal("{\"only\":true}", Assert.Single(decoded).Data);
    }

    [Fact]
    public void ALongLineArrivingInPieces_IsSearchedOnce()
    {
        // 64 KiB of data in 1-byte reads: a decoder that re-searched the line from its start on every
        // read would do ~2 billion comparisons; this one does ~64 thousand.
        string line = "data: " + new string('x', 64 * 1024) + "\n\n";

        (List<DecodedEvent> decoded, _) = Decode(Encoding.UTF8.GetBytes(line), Chunking.OneBytePerRead);

        Assert.Equal(64 * 1024, Assert.Single(decoded).Data!.Length);
    }

    [Fact]
    public void CrAtTheEndOfARead_WaitsToSeeWhetherLfFollows()
    {
        var decoder = new SseFrameDecoder(1024);
        byte[] input = Encoding.UTF8.GetBytes("data: a\r\n\r\n");
        var buffer = new System.Buffers.ReadOnlySequence<byte>(input, 0, 8); // "data: a\r"

        Assert.Equal(DecodeStatus.NeedMoreData, decoder.TryRead(ref buffer, isFinalBlock: false, out _));
        buffer = new System.Buffers.ReadOnlySequence<byte>(input);
        Assert.Equal(DecodeStatus.Frame, decoder.TryRead(ref buffer, isFinalBlock: false, out AkkaProxy.Pipeline.Stages.ResponseFrame frame));
        Assert.Equal(input.Length, frame.Raw.Length);
        Assert.Equal("a", Encoding.UTF8.GetString(frame.Data.ToArray()));
    }
}
