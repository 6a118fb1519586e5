namespace AkkaProxy.LoadHarness.Fake;

/// <summary>
/// One response rendered once and reused for every request: all its bytes in one array, and where each
/// event ends, so the fake can write (and flush) event by event without building anything per request.
/// </summary>
public sealed class RenderedBody
{
    private readonly int[] _ends;

    public RenderedBody(byte[] bytes, int[] ends)
    {
        Bytes = bytes;
        _ends = ends;
    }

    /// <summary>The whole body (SSE: every event with its framing; WebSocket: the messages back to back).</summary>
    public byte[] Bytes { get; }

    /// <summary>How many events (SSE events, WebSocket messages; 1 for a JSON body).</summary>
    public int Events => _ends.Length;

    /// <summary>The bytes of event <paramref name="index"/>.</summary>
    public ReadOnlyMemory<byte> Event(int index)
    {
        int start = index == 0 ? 0 : _ends[index - 1];
        return Bytes.AsMemory(start, _ends[index] - start);
    }
}
