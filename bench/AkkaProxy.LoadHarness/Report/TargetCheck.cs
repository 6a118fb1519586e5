namespace AkkaProxy.LoadHarness.Report;

/// <summary>One of the targets, what this run measured for it, and whether it was met (null: not measured).</summary>
public sealed record TargetCheck(string Target, string Measured, bool? Met)
{
    public string Verdict => Met switch
    {
        true => "**met**",
        false => "**missed**",
        null => "not measured",
    };
}
