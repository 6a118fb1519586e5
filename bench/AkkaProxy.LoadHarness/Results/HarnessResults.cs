namespace AkkaProxy.LoadHarness.Results;

/// <summary>Everything one harness run measured.</summary>
public sealed class HarnessResults
{
    public required HarnessOptions Options { get; init; }

    public required MachineFacts Machine { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset FinishedAt { get; set; }

    public string Commit { get; init; } = "";

    public List<RunFigures> Runs { get; } = [];

    public List<OneSocketFigures> OneSocket { get; } = [];

    public List<ManySocketsFigures> ManySockets { get; } = [];

    /// <summary>Memory per idle socket, one entry per relay build measured.</summary>
    public List<IdleSocketFigures> IdleSockets { get; } = [];

    /// <summary>The earlier build run as <c>relay-before</c> (null without <c>--baseline</c>).</summary>
    public BaselineFacts? Baseline { get; init; }

    public LoggingFigures? Logging { get; set; }

    /// <summary>The ledger's and the key limits' cost (null unless the service-costs extra ran).</summary>
    public ServiceCostFigures? ServiceCosts { get; set; }

    /// <summary>The conversation benchmark, one entry per transport (empty unless the conversation extra ran).</summary>
    public List<ConversationFigures> Conversations { get; } = [];

    /// <summary>The cluster-conversation extra: one relay, two unrelated relays, two relays as a cluster, turns alternating between nodes.</summary>
    public List<ConversationFigures> ClusterConversations { get; } = [];

    public RunFigures? Find(string scenario, int concurrency, string target) =>
        Runs.FirstOrDefault(r => r.Scenario == scenario && r.Concurrency == concurrency && r.Target == target);

    public IdleSocketFigures? Idle(string target) => IdleSockets.FirstOrDefault(i => i.Target == target);

    /// <summary>
    /// <paramref name="target"/>'s events/s through one socket, every round of the extra together (events
    /// over seconds: each round runs the targets in another order, and pooling cancels the order's lean).
    /// </summary>
    public double OneSocketRate(string target) =>
        Pooled(OneSocket.Where(o => o.Target == target).Select(o => ((double)o.Events, o.Seconds)));

    /// <summary><paramref name="target"/>'s events/s across the many sockets, every round together (see <see cref="OneSocketRate"/>).</summary>
    public double ManySocketsRate(string target) =>
        Pooled(ManySockets.Where(m => m.Target == target).Select(m => ((double)m.Load.Events, m.Load.Seconds)));

    private static double Pooled(IEnumerable<(double Events, double Seconds)> rounds)
    {
        (double events, double seconds) = rounds.Aggregate((0.0, 0.0), (sum, r) => (sum.Item1 + r.Events, sum.Item2 + r.Seconds));
        return seconds > 0 ? events / seconds : double.NaN;
    }
}
