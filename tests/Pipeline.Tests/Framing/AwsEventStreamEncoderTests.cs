using System.Buffers;
using System.Text;
using System.Text.Json;
using AkkaProxy.Pipeline.Framing;
using AkkaProxy.Pipeline.Transport;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Pipeline.Tests.Framing;

/// <summary>The relay's own event stream messages: byte for byte AWS's vectors, and the exception that ends a Bedrock stream it cannot finish.</summary>
public sealed class AwsEventStreamEncoderTests
{
    private static readonly string Vectors = Path.Combine(AppContext.BaseDirectory, "Framing", "EventStreamVectors");

    [Theory]
    [InlineData("payload_no_headers")]
    [InlineData("payload_one_str_header")]
    public void AMessage_IsEncodedAsAwssVector(string name)
    {
        using JsonDocument decoded = JsonDocument.Parse(File.ReadAllText(Path.Combine(Vectors, "decoded", "positive", name)));
        List<KeyValuePair<string, string>> headers = decoded.RootElement.GetProperty("headers").EnumerateArray()
            .Select(h => new KeyValuePair<string, string>(h.GetProperty("name").GetString()!, Encoding.UTF8.GetString(Convert.FromBase64String(h.GetProperty("value").GetString()!))))
            .ToList();
        byte[] payload = Convert.FromBase64String(decoded.RootElement.GetProperty("payload").GetString()!);

        Assert.Equal(File.ReadAllBytes(Path.Combine(Vectors, "encoded", "positive", name)), AwsEventStreamEncoder.Encode(headers, payload));
    }

    [Theory]
    [InlineData("upstream_stream_corrupt", "modelStreamErrorException")]
    [InlineData("upstream_truncated", "modelStreamErrorException")]
    [InlineData("event_too_large", "internalServerException")]
    public void TheStreamsErrorEvent_IsAnExceptionMessage_WithTheMessageAndTheRelaysCode(string code, string exceptionType)
    {
        byte[] bytes = ErrorBodies.StreamEvent(ApiKind.BedrockConverse, code, "The upstream's event stream is corrupt.", -1);
        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.Equal(DecodeStatus.Frame, new AwsEventStreamDecoder(1 << 20).TryRead(ref buffer, isFinalBlock: true, out EventStreamMessage message));
        Assert.True(buffer.IsEmpty);
        Assert.False(message.IsEvent);
        Assert.Equal("exception", Encoding.UTF8.GetString(message.MessageType.ToArray()));
        Assert.Equal(exceptionType, Encoding.UTF8.GetString(message.EventType.ToArray()));
        using JsonDocument payload = JsonDocument.Parse(message.Payload.ToArray());
        Assert.Equal("The upstream's event stream is corrupt.", payload.RootElement.GetProperty("message").GetString());
        Assert.Equal(code, payload.RootElement.GetProperty("reason").GetString());
    }
}
