using System.Text.Json;

namespace AkkaProxy.Pipeline.Pooling;

/// <summary>
/// What the bridge needs from one upstream socket message: its <c>type</c> (the SSE <c>event:</c>
/// name), whether it ends the turn, and the response id of a terminal event. One pass of
/// <see cref="Utf8JsonReader"/> over the top level and the <c>response</c> object; everything else is skipped.
/// </summary>
internal readonly struct SocketEvent
{
    private SocketEvent(byte[]? escapedType, int typeStart, int typeLength, SocketEventKind kind, string? responseId)
    {
        EscapedType = escapedType;
        TypeStart = typeStart;
        TypeLength = typeLength;
        Kind = kind;
        ResponseId = responseId;
    }

    /// <summary>The unescaped type, when the message escaped it; otherwise null and the type is <see cref="TypeStart"/>..+<see cref="TypeLength"/> of the message.</summary>
    public byte[]? EscapedType { get; }

    public int TypeStart { get; }

    /// <summary>Zero when the message has no string <c>type</c> (or is not JSON): it is sent as <c>data:</c> alone.</summary>
    public int TypeLength { get; }

    public SocketEventKind Kind { get; }

    /// <summary>The <c>response.id</c> of a terminal event (read only from terminal events).</summary>
    public string? ResponseId { get; }

    /// <summary>The response id a <c>response.created</c> event announces (the turn's, from its start); null on every other event.</summary>
    public string? CreatedId { get; private init; }

    public bool IsTerminal => Kind != SocketEventKind.Other;

    /// <summary>Whether the socket can take no more turns after this event (OpenAI's 60-minute limit error).</summary>
    public bool EndsSocket(ReadOnlySpan<byte> message) =>
        Kind == SocketEventKind.Error && message.IndexOf("websocket_connection_limit_reached"u8) >= 0;

    public ReadOnlySpan<byte> Type(ReadOnlySpan<byte> message) => EscapedType ?? message.Slice(TypeStart, TypeLength);

    public static SocketEvent Read(ReadOnlySpan<byte> message)
    {
        byte[]? escaped = null;
        int start = 0, length = 0;
        SocketEventKind kind = SocketEventKind.Other;
        string? id = null;
        try
        {
            var reader = new Utf8JsonReader(message);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return default;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isType = reader.ValueTextEquals("type"u8);
                bool isResponse = !isType && reader.ValueTextEquals("response"u8);
                reader.Read();
                if (isType && reader.TokenType == JsonTokenType.String)
                {
                    if (reader.ValueIsEscaped)
                    {
                        escaped = new byte[reader.ValueSpan.Length];
                        escaped = escaped[..reader.CopyString(escaped)];
                    }
                    else
                    {
                        start = (int)reader.TokenStartIndex + 1;
                        length = reader.ValueSpan.Length;
                    }

                    kind = KindOf(escaped ?? message.Slice(start, length));
                }
                else if (isResponse && reader.TokenType == JsonTokenType.StartObject)
                {
                    id = ReadId(ref reader) ?? id;
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON (or cut short): relayed as it is; the usage tap counts it.
        }

        bool created = kind == SocketEventKind.Other && (escaped ?? message.Slice(start, length)).SequenceEqual("response.created"u8);
        return new SocketEvent(escaped, start, escaped is null ? length : escaped.Length, kind, kind is SocketEventKind.Completed or SocketEventKind.Incomplete ? id : null)
        {
            CreatedId = created ? id : null,
        };
    }

    private static string? ReadId(ref Utf8JsonReader reader)
    {
        string? id = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool isId = reader.ValueTextEquals("id"u8);
            reader.Read();
            if (isId && reader.TokenType == JsonTokenType.String)
            {
                id = reader.GetString();
            }
            else
            {
                reader.Skip();
            }
        }

        return id;
    }

    private static SocketEventKind KindOf(ReadOnlySpan<byte> type) =>
        type.SequenceEqual("response.completed"u8) ? SocketEventKind.Completed
        : type.SequenceEqual("response.incomplete"u8) ? SocketEventKind.Incomplete
        : type.SequenceEqual("response.failed"u8) ? SocketEventKind.Failed
        : type.SequenceEqual("error"u8) ? SocketEventKind.Error
        : SocketEventKind.Other;
}
