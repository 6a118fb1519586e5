using System.Text;

namespace AkkaProxy.LoadHarness.Fake;

/// <summary>Appends events as UTF-8 and remembers where each one ends.</summary>
internal sealed class RenderedBodyBuilder
{
    private readonly MemoryStream _bytes = new();
    private readonly List<int> _ends = [];

    /// <summary>An SSE event with an <c>event:</c> line (Responses, docs/protocol-notes.md §B).</summary>
    public void SseEvent(string name, string json) => Add("event: " + name + "\ndata: " + json + "\n\n");

    /// <summary>An SSE event with only a <c>data:</c> line (Chat Completions, docs/protocol-notes.md §C).</summary>
    public void SseData(string json) => Add("data: " + json + "\n\n");

    /// <summary>A WebSocket text message, or a whole JSON body: the bytes as they are.</summary>
    public void Raw(string text) => Add(text);

    public RenderedBody Build() => new(_bytes.ToArray(), [.. _ends]);

    private void Add(string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        _bytes.Write(bytes);
        _ends.Add(checked((int)_bytes.Length));
    }
}
