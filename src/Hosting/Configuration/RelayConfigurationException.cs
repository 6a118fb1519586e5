namespace AkkaProxy.Hosting.Configuration;

/// <summary>
/// The relay's configuration cannot be used: every problem found, each with its path. The host
/// prints the list and exits with code 2, without a stack trace.
/// </summary>
public sealed class RelayConfigurationException : Exception
{
    /// <summary>Creates the exception from its problems.</summary>
    public RelayConfigurationException(IReadOnlyList<string> problems)
        : base($"The relay's configuration has {problems.Count} error{(problems.Count == 1 ? "" : "s")}:\n  - " + string.Join("\n  - ", problems)) =>
        Problems = problems;

    /// <summary>One line per problem.</summary>
    public IReadOnlyList<string> Problems { get; }
}
