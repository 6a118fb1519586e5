using System.Globalization;

namespace AkkaProxy.LoadHarness;

/// <summary>
/// Command line of <c>run</c> (all optional):
/// <c>--warmup S</c> (1), <c>--duration S</c> (5) per run; <c>--only a,b</c> scenario names;
/// <c>--extras a,b</c> (of one-socket, many-sockets, logging, idle-sockets, service-costs, conversation, cluster-conversation, nodes; default all), <c>--service-rounds 7</c> or <c>--no-extras</c>;
/// <c>--relay-env NAME=VALUE</c> (repeatable; for the relay processes only); <c>--no-grid</c> (skip the scenario grid); <c>--concurrency 1,32</c>; <c>--targets direct,nginx,yarp,relay-before,relay</c> (narrow the grid and the WebSocket extras, e.g. to profile one);
/// <c>--baseline REV</c> (also build the relay at git revision REV in a temporary worktree and run it as <c>relay-before</c>; scripts/bench.sh passes one); <c>--no-baseline</c>;
/// <c>--no-write</c> (print only);
/// <c>--out FILE</c> (docs/benchmarks.md), <c>--chart FILE</c> (docs/benchmarks.png);
/// <c>--one-socket-events N</c> (100000); <c>--sockets N</c> (1000); <c>--socket-rounds N</c> (2: the one-socket and many-sockets extras run each target N times, the order rotating); <c>--ws-deflate</c> (WebSocket clients and the fake negotiate permessage-deflate);
/// <c>--gcdump DIR</c> (the idle-sockets extra also writes a heap dump of each relay before and with the sockets open; needs the dotnet-gcdump tool).
/// </summary>
public sealed record HarnessOptions
{
    public required string RepoRoot { get; init; }

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(5);

    public IReadOnlySet<string>? Only { get; init; }

    /// <summary>Which targets the scenario grid and the WebSocket extras run against (all unless narrowed, e.g. for profiling one).</summary>
    public IReadOnlySet<string>? Targets { get; init; }

    /// <summary>The git revision whose relay runs beside the current one as <c>relay-before</c> (none: no such target).</summary>
    public string? Baseline { get; init; }

    public IReadOnlyList<int> Concurrencies { get; init; } = AkkaProxy.LoadHarness.Load.Scenarios.Concurrencies;

    /// <summary>The extra measurements to run: one-socket, many-sockets, logging, idle-sockets.</summary>
    public IReadOnlySet<string> Extras { get; init; } = AllExtras;

    public static IReadOnlySet<string> AllExtras { get; } = new HashSet<string>(["one-socket", "many-sockets", "logging", "idle-sockets", "service-costs", "conversation", "cluster-conversation", "nodes"], StringComparer.Ordinal);

    public bool Runs(string extra) => Extras.Contains(extra);

    /// <summary>Where the conversation extra's chart goes (relative to the repository).</summary>
    public string ConversationChart { get; init; } = "docs/benchmarks-conversation.png";

    /// <summary>Rounds of the service-costs extra (each runs every variant once per scenario; the report takes medians).</summary>
    public int ServiceRounds { get; init; } = 7;

    public bool Grid { get; init; } = true;

    public bool Write { get; init; } = true;

    public string Out { get; init; } = "docs/benchmarks.md";

    public string Chart { get; init; } = "docs/benchmarks.png";

    public int OneSocketEvents { get; init; } = 100_000;

    public int Sockets { get; init; } = 1000;

    /// <summary>
    /// Rounds of the one-socket and many-sockets extras. The order of the targets rotates from round to
    /// round (as the grid's does): whichever runs second in a round measured up to 1.3× the same build
    /// run first, so one round's ratio between two builds says little; the checks pool the rounds.
    /// </summary>
    public int SocketRounds { get; init; } = 2;

    /// <summary>
    /// <c>--ws-deflate</c>: the harness's WebSocket clients offer <c>permessage-deflate</c>, and the fake
    /// upstream accepts it when the relay offers it (both sides compressed; the relay's own default).
    /// Without it, neither does: the figures of every earlier run.
    /// </summary>
    public bool WebSocketDeflate { get; init; }

    /// <summary>Where the idle-sockets extra writes its heap dumps (<c>dotnet-gcdump collect</c>; none: no dumps).</summary>
    public string? GcDumpDirectory { get; init; }

    /// <summary>The harness stops itself (and everything it started) after this long, whatever happens.</summary>
    public TimeSpan HardLimit { get; init; } = TimeSpan.FromMinutes(20);

    public IReadOnlyList<string> CommandLine { get; init; } = [];

    /// <summary>Environment variables set for the relay process only (experiments: <c>--relay-env DOTNET_gcServer=0</c>).</summary>
    public IReadOnlyDictionary<string, string> RelayEnvironment { get; init; } = new Dictionary<string, string>();

    public static HarnessOptions Parse(IReadOnlyList<string> args)
    {
        var options = new HarnessOptions { RepoRoot = FindRepoRoot(), CommandLine = args };
        for (int i = 0; i < args.Count; i++)
        {
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            options = args[i] switch
            {
                "--warmup" => options with { Warmup = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture)) },
                "--service-rounds" => options with { ServiceRounds = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--socket-rounds" => options with { SocketRounds = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--duration" => options with { Duration = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture)) },
                "--only" => options with { Only = Next().Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal) },
                "--no-extras" => options with { Extras = new HashSet<string>() },
                "--extras" => options with { Extras = Next().Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal) },
                "--no-grid" => options with { Grid = false },
                "--concurrency" => options with { Concurrencies = [.. Next().Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture))] },
                "--relay-env" => options with { RelayEnvironment = WithVariable(options.RelayEnvironment, Next()) },
                "--targets" => options with { Targets = Next().Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal) },
                "--baseline" => options with { Baseline = Next() },
                "--no-baseline" => options with { Baseline = null },
                "--no-write" => options with { Write = false },
                "--out" => options with { Out = Next() },
                "--chart" => options with { Chart = Next() },
                "--one-socket-events" => options with { OneSocketEvents = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--sockets" => options with { Sockets = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--ws-deflate" => options with { WebSocketDeflate = true },
                "--gcdump" => options with { GcDumpDirectory = Path.GetFullPath(Next()) },
                _ => throw new ArgumentException($"Unknown option {args[i]}."),
            };
        }

        if (options.Targets?.FirstOrDefault(t => !AkkaProxy.LoadHarness.Targets.Target.All.Contains(t)) is string unknown)
        {
            throw new ArgumentException($"Unknown target '{unknown}' (the targets: {string.Join(", ", AkkaProxy.LoadHarness.Targets.Target.All)}).");
        }

        if (options.Duration > TimeSpan.FromSeconds(60) || options.Warmup > TimeSpan.FromSeconds(30) || options.Sockets > 5000 || options.OneSocketEvents > 1_000_000)
        {
            throw new ArgumentException("Keep runs short: --duration ≤ 60, --warmup ≤ 30, --sockets ≤ 5000, --one-socket-events ≤ 1000000.");
        }

        return options;
    }

    private static Dictionary<string, string> WithVariable(IReadOnlyDictionary<string, string> variables, string assignment)
    {
        int eq = assignment.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            throw new ArgumentException($"--relay-env takes NAME=VALUE, not '{assignment}'.");
        }

        return new Dictionary<string, string>(variables) { [assignment[..eq]] = assignment[(eq + 1)..] };
    }

    private static string FindRepoRoot()
    {
        for (string? dir = Directory.GetCurrentDirectory(); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "AkkaProxy.sln")))
            {
                return dir;
            }
        }

        throw new InvalidOperationException("Run the harness from inside the repository (AkkaProxy.sln not found above the current directory).");
    }
}
