namespace AkkaProxy.LoadHarness.Results;

/// <summary>Which commit <c>relay-before</c> was built from: the revision as given, its abbreviated hash and subject.</summary>
public sealed record BaselineFacts(string Revision, string Commit, string Subject);
