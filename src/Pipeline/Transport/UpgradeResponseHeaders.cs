using System.Net.WebSockets;
using System.Runtime.CompilerServices;

namespace AkkaProxy.Pipeline.Transport;

/// <summary>
/// The upgrade answer's headers of each upstream socket the relay's dialers opened, until the relay
/// takes them (once, for the client's own upgrade), so no socket keeps them for its life.
/// </summary>
internal static class UpgradeResponseHeaders
{
    private static readonly ConditionalWeakTable<WebSocket, IReadOnlyDictionary<string, IEnumerable<string>>> Pending = new();

    /// <summary>The headers an empty answer has.</summary>
    public static readonly IReadOnlyDictionary<string, IEnumerable<string>> Empty = new Dictionary<string, IEnumerable<string>>();

    /// <summary>Keeps <paramref name="headers"/> for <paramref name="socket"/> until <see cref="Take"/>.</summary>
    public static void Remember(WebSocket socket, IReadOnlyDictionary<string, IEnumerable<string>> headers) => Pending.AddOrUpdate(socket, headers);

    /// <summary>The headers of <paramref name="socket"/>'s upgrade answer, forgotten now; empty for a socket none of the relay's dialers opened.</summary>
    public static IReadOnlyDictionary<string, IEnumerable<string>> Take(WebSocket socket)
    {
        if (socket is ClientWebSocket { HttpResponseHeaders: { } collected } client)
        {
            client.HttpResponseHeaders = null;
            return collected;
        }

        if (!Pending.TryGetValue(socket, out IReadOnlyDictionary<string, IEnumerable<string>>? headers))
        {
            return Empty;
        }

        Pending.Remove(socket);
        return headers;
    }
}
