using System.Text;

namespace AkkaProxy.Host.Tests.TestKit;

/// <summary>Reads an event stream frame by frame (up to each blank line), so a test can act between events.</summary>
public sealed class SseClient(Stream stream)
{
    private readonly StreamReader _reader = new(stream, Encoding.UTF8);
    private readonly StringBuilder _pending = new();
    private readonly StringBuilder _all = new();

    /// <summary>Everything read so far.</summary>
    public string All => _all.ToString();

    /// <summary>The next frame without its blank line, or null at the end of the stream (what is left stays in <see cref="All"/>).</summary>
    public async Task<string?> NextFrameAsync()
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        char[] buffer = new char[4096];
        while (true)
        {
            string pending = _pending.ToString();
            int end = pending.IndexOf("\n\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                _pending.Remove(0, end + 2);
                return pending[..end];
            }

            int n = await _reader.ReadAsync(buffer.AsMemory(), bound.Token);
            if (n == 0)
            {
                return null;
            }

            _pending.Append(buffer, 0, n);
            _all.Append(buffer, 0, n);
        }
    }

    /// <summary>Reads frames until one starts with <paramref name="prefix"/>; returns it.</summary>
    public async Task<string> NextFrameStartingWithAsync(string prefix)
    {
        while (true)
        {
            string frame = await NextFrameAsync() ?? throw new InvalidOperationException($"the stream ended before a frame starting with '{prefix}': {All}");
            if (frame.StartsWith(prefix, StringComparison.Ordinal))
            {
                return frame;
            }
        }
    }

    /// <summary>Reads to the end; returns everything read.</summary>
    public async Task<string> ReadToEndAsync()
    {
        while (await NextFrameAsync() is not null)
        {
        }

        return All;
    }
}
