using System.Globalization;

namespace AkkaProxy.LoadHarness.Fake;

/// <summary>
/// The model name carries the size of the answer: <c>bench-200</c> asks the fake for a 200-event
/// stream (or a 200-event WebSocket turn). The relay sees <c>fake/bench-200</c> and strips the prefix.
/// </summary>
public static class BenchModel
{
    private const string Prefix = "bench-";

    /// <summary>Events the fake sends when the model names no number.</summary>
    public const int DefaultEvents = 20;

    /// <summary>The most events one answer may have (bounds the fake's memory).</summary>
    public const int MaxEvents = 1_000_000;

    public static string ForEvents(int events) => Prefix + events.ToString(CultureInfo.InvariantCulture);

    /// <summary>The number of events <paramref name="model"/> asks for, clamped to 1..<see cref="MaxEvents"/>.</summary>
    public static int EventsOf(string? model) =>
        model is not null && model.StartsWith(Prefix, StringComparison.Ordinal)
            && int.TryParse(model.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int events)
            ? Math.Clamp(events, 1, MaxEvents)
            : DefaultEvents;
}
