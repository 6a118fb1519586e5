namespace AkkaProxy.LoadHarness.Load;

/// <summary>
/// Whether this run's WebSocket clients and fake upstream negotiate <c>permessage-deflate</c>
/// (<c>--ws-deflate</c>). Carried in an environment variable so the fake upstream, a child process,
/// inherits it.
/// </summary>
public static class Deflate
{
    public const string Variable = "AKKAPROXY_BENCH_WS_DEFLATE";

    public static bool Enabled => Environment.GetEnvironmentVariable(Variable) == "1";

    public static void Enable() => Environment.SetEnvironmentVariable(Variable, "1");
}
