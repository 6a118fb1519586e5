using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using AkkaProxy.Pipeline.Framing;
using AkkaProxy.Pipeline.Tests.TestKit;

namespace AkkaProxy.Pipeline.Tests.Framing;

/// <summary>
/// The event stream decoder against the AWS SDK for Go's test vectors (EventStreamVectors, Apache 2.0):
/// every positive case decodes to its lengths and payload, every negative case is refused with its
/// checksum error; and a Bedrock-like stream split at every byte reads the same as whole.
/// </summary>
public sealed class AwsEventStreamDecoderTests
{
    private static readonly string Vectors = Path.Combine(AppContext.BaseDirectory, "Framing", "EventStreamVectors");

    public static TheoryData<string> Positive() => Names("positive");

    public static TheoryData<string> Negative() => Names("negative");

    private static TheoryData<string> Names(string kind)
    {
        var names = new TheoryData<string>();
        foreach (string file in Directory.GetFiles(Path.Combine(Vectors, "encoded", kind)).Order(StringComparer.Ordinal))
        {
            names.Add(Path.GetFileName(file));
        }

        return names;
    }

    [Fact]
    public void TheVectorsAreThere()
    {
        Assert.Equal(5, Positive().Count);
        Assert.Equal(4, Negative().Count);
    }

    [Theory]
    [MemberData(nameof(Positive))]
    public void EachPositiveCase_DecodesToItsMessage(string name)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(Vectors, "encoded", "positive", name));
        using JsonDocument expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(Vectors, "decoded", "positive", name)));
        var buffer = new ReadOnlySequence<byte>(bytes);
        var decoder = new AwsEventStreamDecoder(1024 * 1024);

        Assert.Equal(DecodeStatus.Frame, decoder.TryRead(ref buffer, isFinalBlock: true, out EventStreamMessage message));
        Assert.True(buffer.IsEmpty);
        Assert.Equal(expected.RootElement.GetProperty("total_length").GetInt64(), message.Raw.Length);
        string payload = expected.RootElement.TryGetProperty("payload", out JsonElement p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : "";
        Assert.Equal(Convert.FromBase64String(payload), message.Payload.ToArray());
    }

    [Theory]
    [MemberData(nameof(Negative))]
    public void EachNegativeCase_IsRefused_WithItsChecksumError(string name)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(Vectors, "encoded", "negative", name));
        string error = File.ReadAllText(Path.Combine(Vectors, "decoded", "negative", name)).Trim();
        var buffer = new ReadOnlySequence<byte>(bytes);
        var decoder = new AwsEventStreamDecoder(1024 * 1024);

        Assert.Equal(DecodeStatus.Corrupt, decoder.TryRead(ref buffer, isFinalBlock: true, out _));
        Assert.Equal(error.StartsWith("Prelude", StringComparison.Ordinal) ? EventStreamError.PreludeCrc : EventStreamError.MessageCrc, decoder.Error);
        Assert.Equal(bytes.Length, buffer.Length); // nothing consumed
    }

    [Fact]
    public void ABedrockStream_SplitAtEveryByte_ReadsTheSameMessages()
    {
        byte[] stream = [
            .. Message("event", "messageStart", """{"p":"abcd","role":"assistant"}"""),
            .. Message("event", "contentBlockDelta", """{"contentBlockIndex":0,"delta":{"text":"Hello"},"p":"ab"}"""),
            .. Message("event", "messageStop", """{"p":"abcdefgh","stopReason":"end_turn"}"""),
            .. Message("event", "metadata", """{"metrics":{"latencyMs":412},"p":"abc","usage":{"inputTokens":25,"outputTokens":15,"totalTokens":40}}"""),
        ];
        string[] expected = ["messageStart", "contentBlockDelta", "messageStop", "metadata"];
        for (int split = 1; split < stream.Length; split++)
        {
            ReadOnlySequence<byte> buffer = Sequences.SplitAt(stream, split);
            var decoder = new AwsEventStreamDecoder(1024 * 1024);
            var types = new List<string>();
            while (decoder.TryRead(ref buffer, isFinalBlock: true, out EventStreamMessage message) == DecodeStatus.Frame)
            {
                Assert.Equal("event", Encoding.UTF8.GetString(message.MessageType.ToArray()));
                types.Add(Encoding.UTF8.GetString(message.EventType.ToArray()));
                using JsonDocument payload = JsonDocument.Parse(message.Payload.ToArray()); // the payload, whole
            }

            Assert.Equal(expected, types);
            Assert.True(buffer.IsEmpty);
        }
    }

    [Fact]
    public void BytesArrivingOneAtATime_WaitForTheWholeMessage_AndAStreamCutInsideOne_IsTruncated()
    {
        byte[] message = Message("event", "metadata", """{"usage":{"inputTokens":1}}""");
        var decoder = new AwsEventStreamDecoder(1024 * 1024);
        for (int length = 0; length < message.Length; length++)
        {
            var partial = new ReadOnlySequence<byte>(message, 0, length);
            Assert.Equal(DecodeStatus.NeedMoreData, decoder.TryRead(ref partial, isFinalBlock: false, out _));
        }

        var cut = new ReadOnlySequence<byte>(message, 0, message.Length - 1);
        Assert.Equal(DecodeStatus.Corrupt, decoder.TryRead(ref cut, isFinalBlock: true, out _));
        Assert.Equal(EventStreamError.Truncated, decoder.Error);
    }

    [Fact]
    public void AMessageLargerThanTheLimit_IsRefusedBeforeItIsBuffered()
    {
        byte[] message = Message("event", "chunk", "{\"bytes\":\"" + new string('x', 4096) + "\"}");
        var buffer = new ReadOnlySequence<byte>(message, 0, 64); // only the start has come
        Assert.Equal(DecodeStatus.FrameTooLarge, new AwsEventStreamDecoder(1024).TryRead(ref buffer, isFinalBlock: false, out _));
    }

    [Fact]
    public void ReadingMessages_AllocatesNothing_OnceTheDecoderExists()
    {
        byte[] stream = [.. Enumerable.Range(0, 64).SelectMany(i => Message("event", "contentBlockDelta", $$$"""{"contentBlockIndex":0,"delta":{"text":"t{{{i}}}"}}"""))];
        var decoder = new AwsEventStreamDecoder(1024 * 1024);
        int Read()
        {
            var buffer = new ReadOnlySequence<byte>(stream);
            int count = 0;
            while (decoder.TryRead(ref buffer, isFinalBlock: true, out _) == DecodeStatus.Frame)
            {
                count++;
            }

            return count;
        }

        Assert.Equal(64, Read()); // warm-up
        long before = GC.GetAllocatedBytesForCurrentThread();
        int read = Read();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(64, read);
        Assert.Equal(0, allocated);
    }

    private static byte[] Message(string messageType, string eventType, string json) => EventStreams.Message(messageType, eventType, json);
}
