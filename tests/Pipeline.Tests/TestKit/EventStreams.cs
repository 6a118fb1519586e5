using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace AkkaProxy.Pipeline.Tests.TestKit;

/// <summary>AWS event stream messages for tests, written by the tests' own encoder (not the relay's), as Bedrock sends them.</summary>
internal static class EventStreams
{
    /// <summary>A message encoded as the format says (the test's own encoder): string headers :message-type, :event-type, :content-type.</summary>
    public static byte[] Message(string messageType, string eventType, string json) =>
        Encode([(":message-type", messageType), (messageType == "exception" ? ":exception-type" : ":event-type", eventType), (":content-type", "application/json")], json);

    /// <summary>An exception message, as Bedrock ends a stream it cannot finish.</summary>
    public static byte[] Exception(string exceptionType, string message) =>
        Message("exception", exceptionType, $$"""{"message":"{{message}}"}""");

    /// <summary>A message with string headers, encoded as the format says.</summary>
    public static byte[] Encode((string Name, string Value)[] headerList, string json)
    {
        var headers = new List<byte>();
        foreach ((string name, string value) in headerList)
        {
            headers.Add((byte)name.Length);
            headers.AddRange(Encoding.UTF8.GetBytes(name));
            headers.Add(7);
            byte[] v = Encoding.UTF8.GetBytes(value);
            headers.Add((byte)(v.Length >> 8));
            headers.Add((byte)v.Length);
            headers.AddRange(v);
        }

        byte[] payload = Encoding.UTF8.GetBytes(json);
        int total = 12 + headers.Count + payload.Length + 4;
        byte[] message = new byte[total];
        BinaryPrimitives.WriteUInt32BigEndian(message, (uint)total);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(4), (uint)headers.Count);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(8), Crc32.HashToUInt32(message.AsSpan(0, 8)));
        headers.CopyTo(message, 12);
        payload.CopyTo(message, 12 + headers.Count);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(total - 4), Crc32.HashToUInt32(message.AsSpan(0, total - 4)));
        return message;
    }

    /// <summary>A Converse stream event.</summary>
    public static byte[] Event(string eventType, string json) => Message("event", eventType, json);

    /// <summary>An InvokeModel stream chunk: the model's JSON, base64 in <c>bytes</c>.</summary>
    public static byte[] Chunk(string modelJson) =>
        Message("event", "chunk", $$"""{"bytes":"{{Convert.ToBase64String(Encoding.UTF8.GetBytes(modelJson))}}","p":"abcdefghij"}""");
}
