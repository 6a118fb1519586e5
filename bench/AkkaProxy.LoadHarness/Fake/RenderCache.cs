using System.Collections.Concurrent;

namespace AkkaProxy.LoadHarness.Fake;

/// <summary>Every response rendered once per shape and size, then shared by all requests.</summary>
public static class RenderCache
{
    private static readonly ConcurrentDictionary<(BodyShape Shape, int Events), RenderedBody> Bodies = new();

    /// <summary>
    /// The body of <paramref name="shape"/> with <paramref name="events"/> events (for JSON bodies:
    /// the text of as many tokens as a stream of that many events would carry).
    /// </summary>
    public static RenderedBody Get(BodyShape shape, int events) =>
        Bodies.GetOrAdd((shape, events), static key => key.Shape switch
        {
            BodyShape.ChatSse => UpstreamBodies.ChatSse(key.Events, includeUsage: false),
            BodyShape.ChatSseWithUsage => UpstreamBodies.ChatSse(key.Events, includeUsage: true),
            BodyShape.ChatJson => UpstreamBodies.ChatJson(Math.Max(0, key.Events - 4)),
            BodyShape.ResponsesSse => UpstreamBodies.ResponsesSse(key.Events),
            BodyShape.ResponsesJson => UpstreamBodies.ResponsesJson(Math.Max(0, key.Events - 8)),
            BodyShape.ResponsesWebSocket => UpstreamBodies.ResponsesWebSocket(key.Events),
            _ => throw new ArgumentOutOfRangeException(nameof(key), key.Shape, null),
        });
}
