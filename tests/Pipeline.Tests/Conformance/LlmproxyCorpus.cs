using System.Text.Json;

namespace AkkaProxy.Pipeline.Tests.Conformance;

/// <summary>
/// Finds and loads the llmproxy conformance corpus. The corpus lives outside the repository, in
/// <c>shared/conformance/</c> beside the folder that holds <c>AkkaProxy.sln</c> (CI clones it there).
/// </summary>
internal static class LlmproxyCorpus
{
    /// <summary>How many entries the corpus holds (its README says 190).</summary>
    public const int ExpectedCount = 190;

    private const string SolutionFile = "AkkaProxy.sln";

    private static readonly Lazy<(IReadOnlyList<LlmproxyFixture> Fixtures, string? Error)> s_load = new(Load);

    /// <summary>Why the corpus could not be loaded, or null when it was.</summary>
    public static string? LoadError => s_load.Value.Error;

    /// <summary>Every entry, in file order.</summary>
    /// <exception cref="InvalidOperationException">The corpus is missing or unreadable; the message says where it was looked for.</exception>
    public static IReadOnlyList<LlmproxyFixture> Fixtures =>
        s_load.Value.Error is { } error ? throw new InvalidOperationException(error) : s_load.Value.Fixtures;

    /// <summary>The entry with <paramref name="id"/>.</summary>
    public static LlmproxyFixture Get(string id) =>
        Fixtures.FirstOrDefault(f => f.Id == id) ?? throw new InvalidOperationException($"The corpus has no entry '{id}'.");

    private static (IReadOnlyList<LlmproxyFixture>, string?) Load()
    {
        string? solutionDirectory = FindSolutionDirectory();
        if (solutionDirectory is null)
        {
            return ([], $"No directory above '{AppContext.BaseDirectory}' holds {SolutionFile}, so the conformance corpus (../shared/conformance/llmproxy-fixtures.json beside it) cannot be located.");
        }

        string path = Path.GetFullPath(Path.Combine(solutionDirectory, "..", "shared", "conformance", "llmproxy-fixtures.json"));
        if (!File.Exists(path))
        {
            return ([], $"The llmproxy conformance corpus is missing: expected '{path}' (the shared/ folder must sit beside the repository root '{solutionDirectory}', as CI clones it).");
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
            return ([.. document.RootElement.EnumerateArray().Select(LlmproxyFixture.From)], null);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            return ([], $"The llmproxy conformance corpus at '{path}' could not be read: {ex.Message}");
        }
    }

    private static string? FindSolutionDirectory()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, SolutionFile)))
            {
                return directory.FullName;
            }
        }

        return null;
    }
}
