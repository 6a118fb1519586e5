using System.Text.Json;

namespace AkkaProxy.Pipeline.Tests.Conformance;

/// <summary>
/// Loads the llmproxy conformance corpus. The repository carries it in <c>Conformance/Corpus/</c>
/// (see the README there for its origin and licence); the test project copies it to the output
/// directory, so it is read from <see cref="AppContext.BaseDirectory"/> and nothing outside the build
/// output is looked at.
/// </summary>
internal static class LlmproxyCorpus
{
    /// <summary>How many entries the corpus holds (its README says 190).</summary>
    public const int ExpectedCount = 190;

    /// <summary>Where the corpus sits, relative to the test output directory (and to the project).</summary>
    public static readonly string RelativePath = Path.Combine("Conformance", "Corpus", "llmproxy-fixtures.json");

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
        string path = Path.Combine(AppContext.BaseDirectory, RelativePath);
        if (!File.Exists(path))
        {
            return ([], $"The llmproxy conformance corpus is missing: expected '{path}'. It is tests/Pipeline.Tests/{RelativePath.Replace('\\', '/')} in the repository, copied to the output directory by AkkaProxy.Pipeline.Tests.csproj; rebuild the test project.");
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
}
