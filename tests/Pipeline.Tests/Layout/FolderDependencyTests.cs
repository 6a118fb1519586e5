using AkkaProxy.Pipeline.Tests.TestKit;

namespace AkkaProxy.Pipeline.Tests.Layout;

/// <summary>
/// The layout of src/Pipeline: one folder per box of the architecture diagram (docs/architecture.md),
/// its namespace the folder's, and no folder that uses another which uses it back, directly or
/// through a chain. Today's order: Routing, Stages ← Framing, Rewrite, Usage ← Billing ← Streams;
/// Transport ← Supervision, Client; Billing ← Diagnostics ← Supervision; Hosting ← Billing.
/// </summary>
public sealed class FolderDependencyTests
{
    private static readonly string PipelineRoot = Path.Combine(RepoPaths.Root, "src", "Pipeline");

    [Fact]
    public void EveryFileDeclaresTheNamespaceOfItsFolder()
    {
        List<string> wrong = [];
        foreach ((string path, string text) in Sources())
        {
            string expected = FolderDependencies.ExpectedNamespace(path);
            List<string> declared = FolderDependencies.DeclaredNamespaces(text).ToList();
            if (declared.Count != 1 || declared[0] != expected)
            {
                wrong.Add($"{path}: declares {(declared.Count == 0 ? "no namespace" : string.Join(", ", declared))}, expected {expected}");
            }
        }

        Assert.True(wrong.Count == 0, "Namespaces must match folders:" + Environment.NewLine + string.Join(Environment.NewLine, wrong));
    }

    [Fact]
    public void NoFolderUsesAnotherThatUsesItBack()
    {
        var dependencies = new FolderDependencies(Sources());
        Assert.NotEmpty(dependencies.Folders);

        IReadOnlyList<string> cycles = dependencies.Cycles();

        Assert.True(cycles.Count == 0,
            "Folders of src/Pipeline import each other in a cycle; move the type that closes it to the folder that is used, not the one that uses:"
            + Environment.NewLine + string.Join(Environment.NewLine, cycles)
            + Environment.NewLine + "Every folder's uses:" + Environment.NewLine + Describe(dependencies));
    }

    [Fact]
    public void FoldersUseEachOtherThroughUsingDirectivesOnly()
    {
        List<(string Path, string Text)> sources = Sources();
        List<string> folders = sources.Select(source => FolderDependencies.FolderOf(source.Path)).OfType<string>().Distinct().ToList();
        Dictionary<string, IReadOnlySet<string>> types = folders.ToDictionary(
            folder => folder,
            folder => (IReadOnlySet<string>)sources.Where(source => FolderDependencies.FolderOf(source.Path) == folder)
                .SelectMany(source => FolderDependencies.DeclaredTypes(source.Text)).ToHashSet(StringComparer.Ordinal));

        List<string> qualified = sources
            .SelectMany(source => FolderDependencies.QualifiedReferences(source.Path, source.Text,
                folders.Where(folder => folder != FolderDependencies.FolderOf(source.Path)), folder => types[folder]))
            .ToList();

        Assert.True(qualified.Count == 0,
            "A type of another folder is named qualified; add a using directive instead, so the usings show every dependency:"
            + Environment.NewLine + string.Join(Environment.NewLine, qualified));
    }

    [Fact]
    public void TheCheckFindsACycleThroughAChain_AndReadsEveryKindOfReference()
    {
        List<(string Path, string Text)> sources =
        [
            ("A/One.cs", "using AkkaProxy.Pipeline.B;\n\nnamespace AkkaProxy.Pipeline.A;\n\ninternal sealed class One;\n"),
            ("B/Two.cs", "namespace AkkaProxy.Pipeline.B;\n\ninternal sealed class Two { private AkkaProxy.Pipeline.C.Three? _three; }\n"),
            ("C/Three.cs", "namespace AkkaProxy.Pipeline.C;\n\ninternal sealed class Three { public object Make() => new A.One(); }\n"),
            ("D/Four.cs", "using AkkaProxy.Pipeline.A;\n\nnamespace AkkaProxy.Pipeline.D;\n\ninternal sealed class Four { public int Usage => C.Length; }\n"),
            ("Root.cs", "using AkkaProxy.Pipeline.D;\n\nnamespace AkkaProxy.Pipeline;\n\npublic sealed class Root;\n"),
        ];

        var dependencies = new FolderDependencies(sources);

        Assert.Equal(["A", "B", "C", "D"], dependencies.Folders);
        Assert.Equal(["B"], dependencies.Uses("A").Keys);
        Assert.Equal(["C"], dependencies.Uses("B").Keys);
        Assert.Equal(["A"], dependencies.Uses("C").Keys);
        Assert.Equal(["A"], dependencies.Uses("D").Keys); // "C.Length" names no type of C
        string cycle = Assert.Single(dependencies.Cycles());
        Assert.StartsWith("A -> B -> C -> A", cycle, StringComparison.Ordinal);
        Assert.Contains("C/Three.cs", cycle, StringComparison.Ordinal);
    }

    private static string Describe(FolderDependencies dependencies) =>
        string.Join(Environment.NewLine, dependencies.Folders.Select(folder => $"    {folder} -> {string.Join(", ", dependencies.Uses(folder).Keys)}"));

    /// <summary>Every C# file of src/Pipeline, build output excluded, with its path relative to src/Pipeline.</summary>
    private static List<(string Path, string Text)> Sources()
    {
        string[] excluded = ["bin", "obj"];
        return Directory.EnumerateFiles(PipelineRoot, "*.cs", SearchOption.AllDirectories)
            .Select(file => Path.GetRelativePath(PipelineRoot, file).Replace('\\', '/'))
            .Where(path => !excluded.Contains(path.Split('/')[0]))
            .Order(StringComparer.Ordinal)
            .Select(path => (path, File.ReadAllText(Path.Combine(PipelineRoot, path))))
            .ToList();
    }
}
