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

    public IdleSocketFigures? IdleSockets { get; set; }

    public LoggingFigures? Logging { get; set; }

    public RunFigures? Find(string scenario, int concurrency, string target) =>
        Runs.FirstOrDefault(r => r.Scenario == scenario && r.Concurrency == concurrency && r.Target == target);
}
