namespace AkkaProxy.Host.Tests.TestKit;

/// <summary>
/// The tests that run <c>dotnet publish</c> or <c>dotnet pack</c> on the repository's projects: one at a
/// time, as they build into the same Release output.
/// </summary>
[CollectionDefinition(Name)]
public sealed class DotnetBuilds
{
    public const string Name = "dotnet builds";
}
