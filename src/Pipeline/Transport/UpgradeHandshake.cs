using System.Buffers;
using System.Globalization;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;

namespace AkkaProxy.Pipeline.Transport;

/// <summary>
/// The client side of a WebSocket opening handshake over HTTP/1.1 (RFC 6455 §4.1, RFC 7692 for
/// <c>permessage-deflate</c>): the upgrade request's bytes, and the checks on the server's answer.
/// Plain code over bytes, so <see cref="Http1WebSocketDialer"/> can hand the connection's own stream
/// to <see cref="WebSocket.CreateFromStream(Stream, WebSocketCreationOptions)"/>.
/// </summary>
internal static class UpgradeHandshake
{
    /// <summary>The most bytes of status line and headers read before the answer is refused.</summary>
    public const int MaxResponseHeaderBytes = 16 * 1024;

    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>The deflate offer: no context kept between the relay's own messages (less memory per socket), the server's choice of window.</summary>
    public const string DeflateOffer = "permessage-deflate; client_max_window_bits; client_no_context_takeover";

    /// <summary>Headers the handshake writes itself; one of these among the extra headers would corrupt it.</summary>
    private static readonly HashSet<string> HandshakeHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Upgrade", "Content-Length", "Transfer-Encoding", "Keep-Alive", "TE", "Trailer", "Expect",
        "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Extensions", "Sec-WebSocket-Protocol", "Sec-WebSocket-Accept",
    };

    /// <summary>A new random <c>Sec-WebSocket-Key</c>.</summary>
    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));

    /// <summary>The <c>Sec-WebSocket-Accept</c> a server must answer <paramref name="key"/> with.</summary>
    public static string AcceptFor(string key) =>
        Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + AcceptGuid)));

    /// <summary>Whether <paramref name="name"/> and <paramref name="value"/> can go on the upgrade: a token name that is not the handshake's own, a value without control characters.</summary>
    public static bool CanCarry(string name, string value) =>
        name.Length > 0 && name.All(IsTokenChar) && !HandshakeHeaders.Contains(name) && value.All(c => c == '\t' || (c >= ' ' && c != '\u007f' && c <= '\u00ff'));

    /// <summary>The upgrade request for <paramref name="uri"/> (<c>ws</c> or <c>wss</c>), its headers in the order given.</summary>
    public static byte[] Request(Uri uri, string key, bool offerDeflate, IEnumerable<KeyValuePair<string, string>> headers)
    {
        var text = new StringBuilder(512);
        text.Append("GET ").Append(uri.PathAndQuery).Append(" HTTP/1.1\r\n");
        string host = uri.HostNameType == UriHostNameType.IPv6 ? "[" + uri.IdnHost + "]" : uri.IdnHost;
        text.Append("Host: ").Append(uri.IsDefaultPort ? host : host + ":" + uri.Port.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        text.Append("Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n");
        text.Append("Sec-WebSocket-Key: ").Append(key).Append("\r\n");
        if (offerDeflate)
        {
            text.Append("Sec-WebSocket-Extensions: ").Append(DeflateOffer).Append("\r\n");
        }

        foreach ((string name, string value) in headers)
        {
            text.Append(name).Append(": ").Append(value.Trim()).Append("\r\n");
        }

        text.Append("\r\n");
        return Encoding.Latin1.GetBytes(text.ToString());
    }

    /// <summary>
    /// Reads the server's answer from <paramref name="stream"/> up to the end of its headers. Bytes
    /// the server sent after them (its first frames) are returned, not lost.
    /// </summary>
    /// <exception cref="WebSocketException">The answer ended early, was too long, or is not HTTP.</exception>
    public static async ValueTask<(UpgradeAnswer Answer, byte[] Extra)> ReadAnswerAsync(Stream stream, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            int filled = 0;
            int end;
            while ((end = HeaderEnd(buffer.AsSpan(0, filled))) < 0)
            {
                if (filled >= MaxResponseHeaderBytes)
                {
                    throw new WebSocketException(WebSocketError.HeaderError, $"The upstream's upgrade answer has more than {MaxResponseHeaderBytes} bytes of headers.");
                }

                if (filled == buffer.Length)
                {
                    byte[] larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, filled).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                int read = await stream.ReadAsync(buffer.AsMemory(filled, Math.Min(buffer.Length, MaxResponseHeaderBytes) - filled), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new WebSocketException(WebSocketError.ConnectionClosedPrematurely, "The upstream closed the connection before it answered the WebSocket upgrade.");
                }

                filled += read;
            }

            UpgradeAnswer answer = Parse(Encoding.Latin1.GetString(buffer, 0, end));
            return (answer, buffer.AsSpan(end + 4, filled - end - 4).ToArray());
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Checks a server's answer to an upgrade sent with <paramref name="key"/>, and returns the deflate
    /// settings it agreed to (null: no compression).
    /// </summary>
    /// <exception cref="WebSocketException">The upstream refused the upgrade or answered it wrongly.</exception>
    public static WebSocketDeflateOptions? Check(UpgradeAnswer answer, string key, bool offeredDeflate)
    {
        if (answer.Status != 101)
        {
            throw new WebSocketException(WebSocketError.NotAWebSocket, $"The server returned status code '{answer.Status}' when status code '101' was expected.");
        }

        if (!HasToken(answer.Header("Upgrade"), "websocket") || !HasToken(answer.Header("Connection"), "upgrade"))
        {
            throw new WebSocketException(WebSocketError.HeaderError, "The upstream's 101 answer lacks 'Upgrade: websocket' or 'Connection: Upgrade'.");
        }

        if (!string.Equals(answer.Header("Sec-WebSocket-Accept")?.Trim(), AcceptFor(key), StringComparison.Ordinal))
        {
            throw new WebSocketException(WebSocketError.HeaderError, "The upstream's 'Sec-WebSocket-Accept' does not answer the relay's key.");
        }

        if (answer.Header("Sec-WebSocket-Protocol") is { Length: > 0 })
        {
            throw new WebSocketException(WebSocketError.UnsupportedProtocol, "The upstream chose a subprotocol the relay did not offer.");
        }

        return answer.Header("Sec-WebSocket-Extensions") is { Length: > 0 } extensions ? Negotiated(extensions, offeredDeflate) : null;
    }

    /// <summary>The deflate settings of an answer's <c>Sec-WebSocket-Extensions</c> (RFC 7692 §7.1).</summary>
    private static WebSocketDeflateOptions? Negotiated(string extensions, bool offered)
    {
        WebSocketDeflateOptions? deflate = null;
        foreach (string extension in extensions.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] parts = extension.Split(';', StringSplitOptions.TrimEntries);
            if (!offered || deflate is not null || !parts[0].Equals("permessage-deflate", StringComparison.OrdinalIgnoreCase))
            {
                throw new WebSocketException(WebSocketError.HeaderError, $"The upstream accepted an extension the relay did not offer: '{extension}'.");
            }

            deflate = new WebSocketDeflateOptions { ClientContextTakeover = false };
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (string parameter in parts.Skip(1))
            {
                int equals = parameter.IndexOf('=');
                string name = (equals < 0 ? parameter : parameter[..equals]).Trim();
                if (!seen.Add(name))
                {
                    throw new WebSocketException(WebSocketError.HeaderError, $"The upstream's deflate answer names a parameter twice: '{extension}'.");
                }

                string? value = equals < 0 ? null : parameter[(equals + 1)..].Trim().Trim('"');
                switch (name.ToLowerInvariant())
                {
                    case "client_no_context_takeover":
                        break; // offered already
                    case "server_no_context_takeover":
                        deflate.ServerContextTakeover = false;
                        break;
                    case "client_max_window_bits":
                        deflate.ClientMaxWindowBits = WindowBits(value, extension);
                        break;
                    case "server_max_window_bits":
                        deflate.ServerMaxWindowBits = WindowBits(value, extension);
                        break;
                    default:
                        throw new WebSocketException(WebSocketError.HeaderError, $"The upstream's deflate answer has a parameter the relay does not know: '{extension}'.");
                }
            }
        }

        return deflate;
    }

    private static int WindowBits(string? value, string extension) =>
        // 9 to 15: what .NET's inflater and deflater take (RFC 7692 allows 8, which zlib does not do).
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int bits) && bits is >= 9 and <= 15
            ? bits
            : throw new WebSocketException(WebSocketError.HeaderError, $"The upstream's deflate answer has a window size the relay cannot use: '{extension}'.");

    private static UpgradeAnswer Parse(string head)
    {
        string[] lines = head.Split("\r\n");
        // "HTTP/1.1 101 Switching Protocols": the version, a space, three digits, then a space or the end.
        string status = lines[0];
        if (!status.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) || status.Length < 12 || (status.Length > 12 && status[12] != ' ')
            || !int.TryParse(status.AsSpan(9, 3), NumberStyles.None, CultureInfo.InvariantCulture, out int code))
        {
            throw new WebSocketException(WebSocketError.HeaderError, "The upstream's answer to the WebSocket upgrade is not HTTP/1.1.");
        }

        var headers = new Dictionary<string, IEnumerable<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (string line in lines.AsSpan(1))
        {
            int colon = line.IndexOf(':');
            if (colon <= 0 || line[0] is ' ' or '\t') // a folded line (obs-fold) is refused, as RFC 9112 lets a client do
            {
                if (code != 101)
                {
                    break; // a refusal is reported by its status, whatever its headers look like
                }

                throw new WebSocketException(WebSocketError.HeaderError, "The upstream's answer to the WebSocket upgrade has a malformed header line.");
            }

            string name = line[..colon].Trim();
            string value = line[(colon + 1)..].Trim();
            if (headers.TryGetValue(name, out IEnumerable<string>? values))
            {
                ((List<string>)values).Add(value);
            }
            else
            {
                headers[name] = new List<string>(1) { value };
            }
        }

        return new UpgradeAnswer(code, headers);
    }

    private static int HeaderEnd(ReadOnlySpan<byte> bytes) => bytes.IndexOf("\r\n\r\n"u8);

    private static bool HasToken(string? value, string token) =>
        value is not null && value.Split(',', StringSplitOptions.TrimEntries).Any(t => t.Equals(token, StringComparison.OrdinalIgnoreCase));

    private static bool IsTokenChar(char c) =>
        c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9')
            or '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~';
}

/// <summary>A server's answer to a WebSocket upgrade: its status and its headers (names case-insensitive, repeated ones kept in order).</summary>
internal sealed record UpgradeAnswer(int Status, Dictionary<string, IEnumerable<string>> Headers)
{
    /// <summary>A header's values joined with commas, or null when absent.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out IEnumerable<string>? values) ? string.Join(", ", values) : null;
}
