namespace AkkaProxy.Host.Configuration;

/// <summary>Who may use the relay.</summary>
public sealed class RelayAuthOptions
{
    /// <summary>Accepted relay keys. Empty: the relay is open.</summary>
    public List<RelayKeyOptions> Keys { get; set; } = [];

    /// <summary>Environment variable holding the admin key.</summary>
    public string AdminKeyEnv { get; set; } = "AKKAPROXY_ADMIN_KEY";

    /// <summary>Browser origins allowed to open WebSockets.</summary>
    public List<string> AllowedOrigins { get; set; } = [];
}

/// <summary>One relay key.</summary>
public sealed class RelayKeyOptions
{
    /// <summary>The id billing records carry (never the key itself); the key of its configuration entry.</summary>
    public string Id { get; set; } = "";

    /// <summary>Environment variable holding the key.</summary>
    public string? KeyEnv { get; set; }

    /// <summary>The key in clear text (tests and embedders).</summary>
    public string? Key { get; set; }

    /// <summary>The key's SHA-256, hex, for configuration files that must not hold the key.</summary>
    public string? KeySha256 { get; set; }
}
