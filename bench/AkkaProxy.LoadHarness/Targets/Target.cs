namespace AkkaProxy.LoadHarness.Targets;

/// <summary>
/// One of the paths a client can take to the fake upstream: <c>direct</c> (no middle process),
/// <c>nginx</c> and <c>yarp</c> (raw passthroughs), <c>relay</c> (AkkaProxy) and <c>relay-before</c>
/// (AkkaProxy built at an earlier commit, see <see cref="BaselineBuild"/>). <paramref name="ModelPrefix"/>
/// is what a client puts before the model (<c>fake/</c> for the relay, which routes by it and strips it);
/// <paramref name="ServerPids"/> are the middle process's pids, whose CPU and memory are measured.
/// </summary>
public sealed record Target(string Name, Uri BaseUri, string ModelPrefix, Func<IReadOnlyList<int>> ServerPids)
{
    public const string Direct = "direct";
    public const string Nginx = "nginx";
    public const string Yarp = "yarp";
    public const string RelayBefore = "relay-before";
    public const string Relay = "relay";

    /// <summary>Every target in the order the report lists them.</summary>
    public static IReadOnlyList<string> All { get; } = [Direct, Nginx, Yarp, RelayBefore, Relay];

    /// <summary>Several relay nodes behind a round-robin: HTTP worker i sends to node i mod n (empty: <see cref="BaseUri"/> only).</summary>
    public IReadOnlyList<Uri> Nodes { get; init; } = [];

    /// <summary>The middle process is a .NET process: what it allocates is measured (<see cref="AllocationSampler"/>).</summary>
    public bool IsDotNet { get; init; }

    /// <summary>The relay key clients send as <c>Authorization: Bearer</c>, for a relay with keys; null: none (open).</summary>
    public string? RelayKey { get; init; }

    public Uri WebSocketUri => new UriBuilder(BaseUri) { Scheme = "ws", Path = "/v1/responses" }.Uri;

    public string Model(string bareModel) => ModelPrefix + bareModel;
}
