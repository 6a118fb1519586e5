using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AkkaProxy.Pipeline.Routing;

namespace AkkaProxy.Pipeline.Transport;

/// <summary>A request as AWS Signature Version 4 sees it: the path as sent (each segment is encoded once more), the query, the headers (Host among them), the body.</summary>
internal sealed record SigV4Request(string Method, string Path, string Query, IReadOnlyList<KeyValuePair<string, string>> Headers, ReadOnlyMemory<byte> Body);

/// <summary>What signing produced: the intermediate texts (for tests and diagnosis), and the headers to add to the request.</summary>
internal sealed record SigV4Result(string CanonicalRequest, string StringToSign, string Signature, IReadOnlyList<KeyValuePair<string, string>> Headers);

/// <summary>How to sign: as AWS's test suite names the choices.</summary>
/// <param name="Normalize">Remove <c>.</c> and <c>..</c> segments and repeated slashes from the path (every service but S3).</param>
/// <param name="SignBody">Send and sign <c>x-amz-content-sha256</c>.</param>
/// <param name="OmitSessionToken">Add <c>x-amz-security-token</c> after signing, unsigned (some services want it so).</param>
internal readonly record struct SigV4Options(bool Normalize = true, bool SignBody = true, bool OmitSessionToken = false);

/// <summary>
/// AWS Signature Version 4 (<c>AWS4-HMAC-SHA256</c> in the <c>Authorization</c> header), written from
/// AWS's specification and checked against AWS's published test suite (tests/Pipeline.Tests/Transport/SigV4Vectors).
/// The relay signs what it sends to Bedrock with it: the canonical request (method, path, sorted query,
/// sorted lower-case headers with trimmed values, the signed header names, the body's SHA-256), the
/// string to sign (algorithm, time, scope, the canonical request's hash), and the HMAC chain of the
/// secret over date, region, service and <c>aws4_request</c>.
/// </summary>
internal static class SigV4Signer
{
    public const string Algorithm = "AWS4-HMAC-SHA256";

    public static SigV4Result Sign(SigV4Request request, AwsCredentials credentials, string region, string service, DateTimeOffset at, SigV4Options? choices = null)
    {
        // Not "= default": a default record struct has every choice false, not the documented defaults.
        SigV4Options options = choices ?? new SigV4Options();
        string amzDate = at.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        string date = amzDate[..8];
        string payloadHash = Convert.ToHexStringLower(SHA256.HashData(request.Body.Span));

        var added = new List<KeyValuePair<string, string>> { new("X-Amz-Date", amzDate) };
        if (credentials.SessionToken is { Length: > 0 } token && !options.OmitSessionToken)
        {
            added.Add(new("X-Amz-Security-Token", token));
        }

        if (options.SignBody)
        {
            added.Add(new("X-Amz-Content-Sha256", payloadHash));
        }

        // Lower-case names, values trimmed with inner runs of spaces made one, repeated names joined by ','.
        SortedDictionary<string, string> headers = new(StringComparer.Ordinal);
        foreach ((string name, string value) in request.Headers.Concat(added))
        {
            string lower = name.Trim().ToLowerInvariant();
            string clean = CollapseSpaces(value);
            headers[lower] = headers.TryGetValue(lower, out string? earlier) ? earlier + "," + clean : clean;
        }

        string signedHeaders = string.Join(';', headers.Keys);
        var canonical = new StringBuilder();
        canonical.Append(request.Method.ToUpperInvariant()).Append('\n');
        canonical.Append(CanonicalUri(request.Path, options.Normalize)).Append('\n');
        canonical.Append(CanonicalQuery(request.Query)).Append('\n');
        foreach ((string name, string value) in headers)
        {
            canonical.Append(name).Append(':').Append(value).Append('\n');
        }

        canonical.Append('\n').Append(signedHeaders).Append('\n').Append(payloadHash);
        string canonicalRequest = canonical.ToString();

        string scope = $"{date}/{region}/{service}/aws4_request";
        string stringToSign = $"{Algorithm}\n{amzDate}\n{scope}\n{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)))}";
        byte[] key = Hmac(Encoding.UTF8.GetBytes("AWS4" + credentials.SecretAccessKey), date);
        key = Hmac(key, region);
        key = Hmac(key, service);
        key = Hmac(key, "aws4_request");
        string signature = Convert.ToHexStringLower(Hmac(key, stringToSign));

        added.Add(new("Authorization", $"{Algorithm} Credential={credentials.AccessKeyId}/{scope}, SignedHeaders={signedHeaders}, Signature={signature}"));
        if (credentials.SessionToken is { Length: > 0 } unsigned && options.OmitSessionToken)
        {
            added.Add(new("X-Amz-Security-Token", unsigned));
        }

        return new SigV4Result(canonicalRequest, stringToSign, signature, added);
    }

    /// <summary>Each segment of <paramref name="path"/> URI-encoded (RFC 3986 unreserved characters kept), after normalising it when asked.</summary>
    internal static string CanonicalUri(string path, bool normalize)
    {
        if (path.Length == 0)
        {
            return "/";
        }

        string[] segments = path.Split('/');
        IEnumerable<string> kept = segments;
        if (normalize)
        {
            var stack = new List<string>();
            for (int i = 1; i < segments.Length; i++)
            {
                string segment = segments[i];
                if (segment == "..")
                {
                    if (stack.Count > 0)
                    {
                        stack.RemoveAt(stack.Count - 1);
                    }
                }
                else if (segment.Length > 0 && segment != ".")
                {
                    stack.Add(segment);
                }
            }

            bool trailing = segments[^1].Length == 0 || segments[^1] is "." or "..";
            string joined = "/" + string.Join('/', stack.Select(Encode));
            return trailing && stack.Count > 0 ? joined + "/" : joined;
        }

        return string.Join('/', kept.Select(Encode));
    }

    /// <summary>The query's parameters decoded and encoded again, sorted by name, then value; a name without '=' has an empty value.</summary>
    internal static string CanonicalQuery(string query)
    {
        string trimmed = query.TrimStart('?');
        if (trimmed.Length == 0)
        {
            return "";
        }

        return string.Join('&', trimmed.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair =>
            {
                int equals = pair.IndexOf('=');
                string name = equals < 0 ? pair : pair[..equals];
                string value = equals < 0 ? "" : pair[(equals + 1)..];
                return (Name: Encode(Uri.UnescapeDataString(name)), Value: Encode(Uri.UnescapeDataString(value)));
            })
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => p.Name + "=" + p.Value));
    }

    /// <summary>RFC 3986 encoding as AWS wants it: unreserved characters as they are, every other byte of the UTF-8 as %XX (upper case).</summary>
    internal static string Encode(string value)
    {
        var encoded = new StringBuilder(value.Length);
        foreach (byte b in Encoding.UTF8.GetBytes(value))
        {
            if (b is (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9') or (byte)'-' or (byte)'_' or (byte)'.' or (byte)'~')
            {
                encoded.Append((char)b);
            }
            else
            {
                encoded.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return encoded.ToString();
    }

    private static string CollapseSpaces(string value)
    {
        var builder = new StringBuilder(value.Length);
        bool space = false;
        foreach (char c in value.Trim())
        {
            if (c == ' ')
            {
                if (!space)
                {
                    builder.Append(c);
                }

                space = true;
            }
            else
            {
                builder.Append(c);
                space = false;
            }
        }

        return builder.ToString();
    }

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));
}
