namespace AkkaProxy.Pipeline.Transport;

/// <summary>
/// Gemini's generate-content paths: <c>/v1beta/models/{model}:generateContent</c> and
/// <c>:streamGenerateContent</c> (and the same under <c>/v1/</c>, which Google's Gen AI SDKs call), the
/// model (with the relay's provider prefix, which may hold a '/') before the last ':'.
/// </summary>
internal static class GeminiPaths
{
    public const string Prefix = "/v1beta/models/";

    /// <summary>The stable API version's prefix, beside <see cref="Prefix"/>.</summary>
    public const string StablePrefix = "/v1/models/";
    public const string Method = "generateContent";
    public const string StreamMethod = "streamGenerateContent";

    /// <summary>Reads the model and whether the call streams from a request path; false when it is no generate-content path.</summary>
    public static bool TryParse(string? path, out string model, out bool streaming)
    {
        model = "";
        streaming = false;
        string? prefix = PrefixOf(path);
        if (prefix is null)
        {
            return false;
        }

        string target = Uri.UnescapeDataString(path![prefix.Length..]);
        int colon = target.LastIndexOf(':');
        if (colon <= 0)
        {
            return false;
        }

        string method = target[(colon + 1)..];
        if (method != Method && method != StreamMethod)
        {
            return false;
        }

        model = target[..colon];
        streaming = method == StreamMethod;
        return true;
    }

    /// <summary>The version prefix <paramref name="path"/> starts with (<see cref="Prefix"/> or <see cref="StablePrefix"/>), or null: the upstream gets the version the client called.</summary>
    public static string? PrefixOf(string? path) =>
        path is null ? null
        : path.StartsWith(Prefix, StringComparison.Ordinal) ? Prefix
        : path.StartsWith(StablePrefix, StringComparison.Ordinal) ? StablePrefix
        : null;

    /// <summary>Whether the query asks for SSE (<c>alt=sse</c>), the only streaming shape the relay reads.</summary>
    public static bool AsksForSse(string? query) =>
        !string.IsNullOrEmpty(query) && query.TrimStart('?').Split('&').Any(pair => pair.Equals("alt=sse", StringComparison.OrdinalIgnoreCase));
}
