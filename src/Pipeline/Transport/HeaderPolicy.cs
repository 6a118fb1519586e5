using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace AkkaProxy.Pipeline.Transport;

/// <summary>Which headers cross the relay, in each direction.</summary>
internal static class HeaderPolicy
{
    /// <summary>Hop-by-hop headers (RFC 9110 §7.6.1) plus ones the relay sets itself.</summary>
    private static readonly HashSet<string> DroppedRequestHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
        "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Expect", "Content-Length", "Content-Type",
        // The relay decodes a compressed request body and sends it plain (RequestDecoding).
        "Content-Encoding",
        // Credentials: the provider's key replaces the client's, and the relay key never leaves.
        "Authorization", "x-api-key", "api-key", "x-goog-api-key", "Cookie",
        // An AWS client's own Signature V4 (the relay signs for Bedrock with the provider's credentials).
        "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-Sha256",
        // Tied to the client's own OpenAI account, which the provider key is not.
        "OpenAI-Organization", "OpenAI-Project",
        // The relay asks for identity so the usage tap reads plain bytes.
        "Accept-Encoding",
        // Google's response field mask could leave usageMetadata out of the response: an unbillable call.
        "X-Goog-FieldMask",
        "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Extensions", "Sec-WebSocket-Protocol", "Sec-WebSocket-Accept",
        // Between the relay's own nodes (a continuation sent on to the node holding its socket).
        AffinityHeaders.Forwarded,
    };

    private static readonly HashSet<string> DroppedResponseHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "TE", "Trailer", "Transfer-Encoding", "Upgrade",
        "Alt-Svc",
        // The operator's account ids at the provider are not the client's business.
        "openai-organization", "openai-project", "anthropic-organization-id",
        // Cookies the provider sets belong to the relay's session with it (Cloudflare's __cf_bm, say):
        // relayed, every client would share them, and they would come back as Cookie, which is dropped anyway.
        "Set-Cookie", "Set-Cookie2",
    };

    /// <summary>Set on the upgrade by the relay's own WebSocket handshake with each side, or checked by the relay itself (<c>Origin</c>).</summary>
    private static readonly HashSet<string> UpgradeOnlyHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Origin", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Extensions", "Sec-WebSocket-Protocol", "Sec-WebSocket-Accept",
        "Connection", "Upgrade", "Content-Length", "Content-Type", "Content-Encoding", "Date", "Server",
    };

    /// <summary>
    /// The client's upgrade headers the upstream's upgrade repeats: what an HTTP request would
    /// forward (<see cref="CopyRequestHeaders"/>'s rules: never keys, cookies or hop-by-hop headers),
    /// without the handshake's own headers, which each side's handshake sets for itself.
    /// </summary>
    public static List<KeyValuePair<string, string>> UpgradeRequestHeaders(IHeaderDictionary from)
    {
        HashSet<string>? connectionListed = ConnectionListed(from);
        var forwarded = new List<KeyValuePair<string, string>>();
        foreach (KeyValuePair<string, StringValues> header in from)
        {
            if (DroppedRequestHeaders.Contains(header.Key) || UpgradeOnlyHeaders.Contains(header.Key) || connectionListed?.Contains(header.Key) == true
                || header.Key.StartsWith(':'))
            {
                continue;
            }

            forwarded.Add(new(header.Key, header.Value.ToString()));
        }

        return forwarded;
    }

    /// <summary>
    /// Copies the upstream's upgrade response headers (<c>openai-model</c>, <c>x-codex-turn-state</c>,
    /// rate-limit headers) onto the client's upgrade response, by the rules of an HTTP response
    /// (<see cref="CopyResponseHeaders"/>), without the handshake's own headers.
    /// </summary>
    public static void CopyUpgradeResponseHeaders(IReadOnlyDictionary<string, IEnumerable<string>>? from, IHeaderDictionary to)
    {
        if (from is null)
        {
            return;
        }

        foreach ((string name, IEnumerable<string> value) in from)
        {
            if (DroppedResponseHeaders.Contains(name) || UpgradeOnlyHeaders.Contains(name))
            {
                continue;
            }

            string[] values = value.ToArray();
            if (values.All(v => System.Text.Ascii.IsValid(v)))
            {
                to[name] = values;
            }
        }
    }

    public static void CopyRequestHeaders(IHeaderDictionary from, HttpRequestMessage to)
    {
        HashSet<string>? connectionListed = ConnectionListed(from);
        foreach (KeyValuePair<string, StringValues> header in from)
        {
            if (DroppedRequestHeaders.Contains(header.Key) || connectionListed?.Contains(header.Key) == true)
            {
                continue;
            }

            to.Headers.TryAddWithoutValidation(header.Key, (IEnumerable<string?>)header.Value);
        }
    }

    public static void CopyResponseHeaders(HttpResponseMessage from, HttpResponse to, bool bodyChanged)
    {
        Copy(from.Headers, to, bodyChanged);
        Copy(from.Content.Headers, to, bodyChanged);
    }

    private static void Copy(HttpHeaders headers, HttpResponse to, bool bodyChanged)
    {
        foreach (KeyValuePair<string, IEnumerable<string>> header in headers)
        {
            if (DroppedResponseHeaders.Contains(header.Key)
                || (bodyChanged && (header.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) || header.Key.Equals("Content-Encoding", StringComparison.OrdinalIgnoreCase))))
            {
                continue;
            }

            string[] values = header.Value.ToArray();
            if (values.Any(v => !System.Text.Ascii.IsValid(v)))
            {
                continue; // Kestrel refuses non-ASCII header values; one odd header must not cost the client the response.
            }

            to.Headers[header.Key] = values;
        }
    }

    private static HashSet<string>? ConnectionListed(IHeaderDictionary headers)
    {
        StringValues connection = headers.Connection;
        if (StringValues.IsNullOrEmpty(connection))
        {
            return null;
        }

        var listed = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (string? value in connection)
        {
            foreach (string token in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                listed.Add(token);
            }
        }

        return listed;
    }
}
