namespace AkkaProxy.LoadHarness.Report;

/// <summary>
/// One of the issues' targets, what this run measured for it, and whether it was met (null: not
/// measured); <paramref name="MissedBy"/> says by how much a missed one was missed.
/// </summary>
public sealed record TargetCheck(string Target, string Measured, bool? Met, string? MissedBy = null)
{
    public string Verdict => Met switch
    {
        true => "**met**",
        false => MissedBy is null ? "**missed**" : $"**missed** by {MissedBy}",
        null => "not measured",
    };
}
