namespace AkkaProxy.LoadHarness.Results;

/// <summary>What the run ran on, as name/value rows.</summary>
public sealed record MachineFacts(IReadOnlyList<(string Name, string Value)> Rows);
