using System.Text.Json;

namespace AkkaProxy.Pipeline.Transport;

/// <summary>Finds which known lane (<c>stream_id</c>) a server event belongs to, without allocating.</summary>
internal static class LaneReader
{
    /// <summary>The lane among <paramref name="lanes"/> named by the event's top-level <c>stream_id</c>, or null.</summary>
    public static string? Find(ReadOnlySpan<byte> json, IEnumerable<string> lanes)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isStreamId = reader.ValueTextEquals("stream_id"u8);
                reader.Read();
                if (isStreamId && reader.TokenType == JsonTokenType.String)
                {
                    foreach (string lane in lanes)
                    {
                        if (lane.Length > 0 && reader.ValueTextEquals(lane))
                        {
                            return lane;
                        }
                    }

                    return null;
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
            // Not JSON: belongs to no lane.
        }

        return null;
    }
}
