namespace AkkaProxy.Pipeline.Tests.TestKit;

/// <summary>Finds files of the repository from a test's output folder.</summary>
public static class RepoPaths
{
    /// <summary>The folder holding AkkaProxy.sln.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AkkaProxy.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"AkkaProxy.sln not found above {AppContext.BaseDirectory}.");
    }
}
