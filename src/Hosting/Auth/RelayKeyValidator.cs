using System.Security.Cryptography;
using System.Text;
using AkkaProxy.Hosting.Configuration;
using Microsoft.Extensions.Primitives;

namespace AkkaProxy.Hosting.Auth;

/// <summary>
/// Checks relay keys. Keys are held only as SHA-256 digests and compared in constant time; billing
/// records carry the key's id, never the key.
/// </summary>
internal sealed class RelayKeyValidator
{
    private readonly (string Id, byte[] Digest)[] _keys;

    /// <summary>Builds the validator; throws when a configured key cannot be resolved.</summary>
    public RelayKeyValidator(RelayAuthOptions options, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        _keys = options.Keys.Select(k => (Id(k), Digest(k, environment))).ToArray();
        string? adminKey = string.IsNullOrWhiteSpace(options.AdminKeyEnv) ? null : environment(options.AdminKeyEnv);
        AdminDigest = string.IsNullOrEmpty(adminKey) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(adminKey));
    }

    /// <summary>Whether the relay is open (no keys configured).</summary>
    public bool IsOpen => _keys.Length == 0;

    /// <summary>Whether an admin key is configured.</summary>
    public bool HasAdminKey => AdminDigest is not null;

    private byte[]? AdminDigest { get; }

    /// <summary>The credential a client presented: <c>Authorization: Bearer</c>, else <c>x-api-key</c>, else <c>api-key</c>, else <c>x-goog-api-key</c>, else (on Gemini's paths) the <c>key</c> query parameter.</summary>
    public static string? PresentedKey(HttpRequest request)
    {
        string? authorization = request.Headers.Authorization;
        if (authorization is not null && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization["Bearer ".Length..].Trim();
        }

        StringValues apiKey = request.Headers["x-api-key"];
        if (!StringValues.IsNullOrEmpty(apiKey))
        {
            return apiKey.ToString();
        }

        StringValues azureKey = request.Headers["api-key"];
        if (!StringValues.IsNullOrEmpty(azureKey))
        {
            return azureKey.ToString();
        }

        StringValues googleKey = request.Headers["x-goog-api-key"];
        if (!StringValues.IsNullOrEmpty(googleKey))
        {
            return googleKey.ToString();
        }

        // Gemini's clients may put the key in the query (?key=); on Gemini's paths only, where the
        // relay takes it out of the query it sends upstream.
        return AkkaProxy.Pipeline.Transport.GeminiPaths.PrefixOf(request.Path.Value) is not null
            && request.Query["key"] is { Count: > 0 } queryKey && !StringValues.IsNullOrEmpty(queryKey) ? queryKey.ToString() : null;
    }

    /// <summary>
    /// The admin credential a client presented: the password of <c>Authorization: Basic</c> (any user
    /// name; what a browser sends after the admin page's challenge), else <see cref="PresentedKey"/>.
    /// </summary>
    public static string? PresentedAdminKey(HttpRequest request)
    {
        string? authorization = request.Headers.Authorization;
        if (authorization is null || !authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return PresentedKey(request);
        }

        string encoded = authorization["Basic ".Length..].Trim();
        byte[] decoded = new byte[(encoded.Length / 4 * 3) + 3];
        if (!Convert.TryFromBase64String(encoded, decoded, out int length))
        {
            return null; // not Base64
        }

        string pair = Encoding.UTF8.GetString(decoded, 0, length);
        int colon = pair.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? null : pair[(colon + 1)..];
    }

    /// <summary>Checks <paramref name="presented"/>; on success <paramref name="keyId"/> is its id (null when the relay is open).</summary>
    public bool TryAuthenticate(string? presented, out string? keyId)
    {
        keyId = null;
        if (IsOpen)
        {
            return true;
        }

        if (string.IsNullOrEmpty(presented))
        {
            return false;
        }

        byte[] digest = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        foreach ((string id, byte[] expected) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(digest, expected))
            {
                keyId = id;
                return true;
            }
        }

        return false;
    }

    /// <summary>Checks an admin credential.</summary>
    public bool IsAdmin(string? presented) =>
        AdminDigest is not null && !string.IsNullOrEmpty(presented)
        && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), AdminDigest);

    private static string Id(RelayKeyOptions key) =>
        string.IsNullOrWhiteSpace(key.Id) ? throw new InvalidOperationException("Every akkaproxy.auth.keys entry needs an 'id'.") : key.Id;

    private static byte[] Digest(RelayKeyOptions key, Func<string, string?> environment)
    {
        if (!string.IsNullOrEmpty(key.KeySha256))
        {
            return Convert.FromHexString(key.KeySha256);
        }

        string? clear = !string.IsNullOrEmpty(key.Key) ? key.Key
            : !string.IsNullOrEmpty(key.KeyEnv) ? environment(key.KeyEnv)
            : null;
        return string.IsNullOrEmpty(clear)
            ? throw new InvalidOperationException($"Relay key '{key.Id}' has no value: set key-sha256, key, or the environment variable named by key-env ({key.KeyEnv}).")
            : SHA256.HashData(Encoding.UTF8.GetBytes(clear));
    }
}
