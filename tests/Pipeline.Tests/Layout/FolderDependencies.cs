using System.Text.RegularExpressions;

namespace AkkaProxy.Pipeline.Tests.Layout;

/// <summary>
/// Which folders of src/Pipeline use which, read from the sources: a folder uses another when one of
/// its files has a <c>using</c> of the other's namespace, names it fully qualified
/// (<c>AkkaProxy.Pipeline.Other.…</c>), or names one of its types through the parent namespace
/// (<c>Other.SomeType</c>). Files at the root (namespace <c>AkkaProxy.Pipeline</c>: the library's
/// entry) belong to no folder: any folder may use them, and what they use is not counted.
/// </summary>
internal sealed partial class FolderDependencies
{
    public const string RootNamespace = "AkkaProxy.Pipeline";

    private readonly Dictionary<string, SortedDictionary<string, string>> _edges = new(StringComparer.Ordinal);

    /// <param name="sources">Each file's path relative to src/Pipeline ('/'-separated) and its text.</param>
    public FolderDependencies(IReadOnlyCollection<(string Path, string Text)> sources)
    {
        var files = sources.Select(source => (source.Path, source.Text, Folder: FolderOf(source.Path))).ToList();
        Folders = files.Where(file => file.Folder is not null).Select(file => file.Folder!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var typesByFolder = Folders.ToDictionary(
            folder => folder,
            folder => files.Where(file => file.Folder == folder).SelectMany(file => DeclaredTypes(file.Text)).ToHashSet(StringComparer.Ordinal),
            StringComparer.Ordinal);

        foreach ((string path, string text, string? folder) in files)
        {
            if (folder is null)
            {
                continue;
            }

            foreach (string other in Folders.Where(other => other != folder))
            {
                string? evidence = UsingOf(text, other) ?? QualifiedReferenceOf(text, other) ?? TypeThroughParentOf(text, other, typesByFolder[other]);
                if (evidence is not null)
                {
                    SortedDictionary<string, string> uses = UsesOf(folder);
                    uses.TryAdd(other, $"{path}: {evidence}");
                }
            }
        }
    }

    /// <summary>The folders, in order.</summary>
    public IReadOnlyList<string> Folders { get; }

    /// <summary>The folders <paramref name="folder"/> uses, with where each use was seen first.</summary>
    public IReadOnlyDictionary<string, string> Uses(string folder) => UsesOf(folder);

    /// <summary>Every cycle found: for each pair of folders that reach each other, one path around, each step with its evidence.</summary>
    public IReadOnlyList<string> Cycles()
    {
        var cycles = new List<string>();
        var reported = new HashSet<string>(StringComparer.Ordinal);
        foreach (string from in Folders)
        {
            foreach (string to in UsesOf(from).Keys)
            {
                List<string>? back = Path(to, from);
                if (back is null)
                {
                    continue;
                }

                List<string> cycle = [from, .. back];
                // One report per cycle, whichever folder it is found from.
                string key = string.Join(" ", cycle.Skip(1).Order(StringComparer.Ordinal));
                if (reported.Add(key))
                {
                    IEnumerable<string> steps = cycle.Zip(cycle.Skip(1), (a, b) => $"    {a} -> {b}  ({UsesOf(a)[b]})");
                    cycles.Add(string.Join(" -> ", cycle) + Environment.NewLine + string.Join(Environment.NewLine, steps));
                }
            }
        }

        return cycles;
    }

    /// <summary>References of one folder to another written out in code (<c>AkkaProxy.Pipeline.Other.X</c> or <c>Other.SomeType</c>), which a using directive should say instead.</summary>
    public static IEnumerable<string> QualifiedReferences(string path, string text, IEnumerable<string> otherFolders, Func<string, IReadOnlySet<string>> typesOf)
    {
        foreach (string other in otherFolders)
        {
            if ((QualifiedReferenceOf(text, other) ?? TypeThroughParentOf(text, other, typesOf(other))) is { } evidence)
            {
                yield return $"{path}: {evidence}";
            }
        }
    }

    /// <summary>The folder a file belongs to (its first path segment), or null for a file at the root.</summary>
    public static string? FolderOf(string path)
    {
        int slash = path.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? null : path[..slash];
    }

    /// <summary>The namespace a file at <paramref name="path"/> must declare.</summary>
    public static string ExpectedNamespace(string path)
    {
        string[] segments = path.Split('/');
        return string.Join(".", [RootNamespace, .. segments[..^1]]);
    }

    /// <summary>The namespaces a file declares.</summary>
    public static IEnumerable<string> DeclaredNamespaces(string text) =>
        NamespaceDeclaration().Matches(text).Select(match => match.Groups["name"].Value);

    /// <summary>The names of the top-level types a file declares.</summary>
    public static IEnumerable<string> DeclaredTypes(string text) =>
        TypeDeclaration().Matches(text).Select(match => match.Groups["name"].Value);

    private SortedDictionary<string, string> UsesOf(string folder)
    {
        if (!_edges.TryGetValue(folder, out SortedDictionary<string, string>? uses))
        {
            _edges[folder] = uses = new SortedDictionary<string, string>(StringComparer.Ordinal);
        }

        return uses;
    }

    /// <summary>A shortest path of uses from <paramref name="from"/> to <paramref name="to"/> (both included), or null.</summary>
    private List<string>? Path(string from, string to)
    {
        var previous = new Dictionary<string, string?>(StringComparer.Ordinal) { [from] = null };
        var queue = new Queue<string>([from]);
        while (queue.TryDequeue(out string? folder))
        {
            if (folder == to)
            {
                var path = new List<string>();
                for (string? step = to; step is not null; step = previous[step])
                {
                    path.Insert(0, step);
                }

                return path;
            }

            foreach (string next in UsesOf(folder).Keys)
            {
                if (previous.TryAdd(next, folder))
                {
                    queue.Enqueue(next);
                }
            }
        }

        return null;
    }

    private static string? UsingOf(string text, string folder)
    {
        Match match = Regex.Match(text, $@"^\s*(global\s+)?using\s+(static\s+)?(\w+\s*=\s*)?(global::)?{Regex.Escape(RootNamespace)}\.{Regex.Escape(folder)}\b[^;]*;", RegexOptions.Multiline);
        return match.Success ? match.Value.Trim() : null;
    }

    private static string? QualifiedReferenceOf(string text, string folder)
    {
        // Outside using directives (counted above) and namespace declarations.
        foreach (Match match in Regex.Matches(text, $@"^(?!\s*(global\s+)?using\s)(?!\s*namespace\s).*\b{Regex.Escape(RootNamespace)}\.{Regex.Escape(folder)}\.\w+.*$", RegexOptions.Multiline))
        {
            return match.Value.Trim();
        }

        return null;
    }

    private static string? TypeThroughParentOf(string text, string folder, IReadOnlySet<string> types)
    {
        if (types.Count == 0)
        {
            return null;
        }

        // "Other.SomeType" not preceded by a dot: a type of the sibling namespace, reached through the parent.
        string alternatives = string.Join("|", types.Select(Regex.Escape));
        Match match = Regex.Match(text, $@"^(?!\s*(global\s+)?using\s).*(?<![\w.]){Regex.Escape(folder)}\.(?:{alternatives})\b.*$", RegexOptions.Multiline);
        return match.Success ? match.Value.Trim() : null;
    }

    [GeneratedRegex(@"^\s*namespace\s+(?<name>[\w.]+)", RegexOptions.Multiline)]
    private static partial Regex NamespaceDeclaration();

    [GeneratedRegex(@"^(?:public\s+|internal\s+|file\s+)?(?:(?:sealed|static|abstract|readonly|partial|ref)\s+)*(?:class|struct|interface|enum|record(?:\s+struct|\s+class)?|delegate\s+[\w<>?,\[\]. ]+?)\s+(?<name>\w+)", RegexOptions.Multiline)]
    private static partial Regex TypeDeclaration();
}
