namespace AkkaProxy.LoadHarness.Targets;

/// <summary>
/// One of the three paths a client can take to the fake upstream: <c>direct</c> (no middle process),
/// <c>nginx</c> (raw passthrough) or <c>relay</c> (AkkaProxy). <paramref name="ModelPrefix"/> is what
/// a client puts before the model (<c>fake/</c> for the relay, which routes by it and strips it);
/// <paramref name="ServerPids"/> are the middle process's pids, whose CPU and memory are measured.
/// </summary>
public sealed record Target(string Name, Uri BaseUri, string ModelPrefix, Func<IReadOnlyList<int>> ServerPids)
{
    public const string Direct = "direct";
    public const string Nginx = "nginx";
    public const string Relay = "relay";

    public Uri WebSocketUri => new UriBuilder(BaseUri) { Scheme = "ws", Path = "/v1/responses" }.Uri;

    public string Model(string bareModel) => ModelPrefix + bareModel;
}
