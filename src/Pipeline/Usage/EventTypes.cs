using System.Text.Json;

namespace AkkaProxy.Pipeline.Usage;

/// <summary>Reads a <c>"type"</c> string value into <see cref="EventType"/> without allocating.</summary>
internal static class EventTypes
{
    public static EventType Identify(ref Utf8JsonReader reader)
    {
        if (reader.HasValueSequence || reader.ValueIsEscaped)
        {
            Span<byte> buffer = stackalloc byte[64];
            long length = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
            return length > buffer.Length ? EventType.Other : Identify(buffer[..reader.CopyString(buffer)]);
        }

        return Identify(reader.ValueSpan);
    }

    public static EventType Identify(ReadOnlySpan<byte> value) => value.Length switch
    {
        5 when value.SequenceEqual("error"u8) => EventType.Error,
        7 when value.SequenceEqual("message"u8) => EventType.Message,
        12 when value.SequenceEqual("message_stop"u8) => EventType.MessageStop,
        13 when value.SequenceEqual("message_start"u8) => EventType.MessageStart,
        13 when value.SequenceEqual("message_delta"u8) => EventType.MessageDelta,
        15 when value.SequenceEqual("response.failed"u8) => EventType.ResponseFailed,
        15 when value.SequenceEqual("response.create"u8) => EventType.ResponseCreate,
        16 when value.SequenceEqual("response.created"u8) => EventType.ResponseCreated,
        18 when value.SequenceEqual("response.completed"u8) => EventType.ResponseCompleted,
        19 when value.SequenceEqual("response.incomplete"u8) => EventType.ResponseIncomplete,
        20 when value.SequenceEqual("response.in_progress"u8) => EventType.ResponseInProgress,
        _ => EventType.Other,
    };
}
