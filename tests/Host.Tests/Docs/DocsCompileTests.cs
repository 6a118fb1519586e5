using System.Text;
using System.Text.RegularExpressions;
using AkkaProxy.Host.Tests.TestKit;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace AkkaProxy.Host.Tests.Docs;

/// <summary>
/// Every C# block of README.md and docs/*.md compiles, as users paste it: with the implicit usings
/// of a <c>Microsoft.NET.Sdk.Web</c> project and the blocks' own usings, against the relay's
/// assemblies and the packages the docs name. A page's blocks build on one another (a later block
/// may use a type an earlier one declared); each block's statements run in a method of their own,
/// with <c>args</c> in scope as in a Program.cs.
/// </summary>
public sealed partial class DocsCompileTests
{
    /// <summary>The implicit usings of a Microsoft.NET.Sdk.Web project.</summary>
    private static readonly string[] ImplicitUsings =
    [
        "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Net.Http.Json",
        "System.Threading", "System.Threading.Tasks", "Microsoft.AspNetCore.Builder", "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Http", "Microsoft.AspNetCore.Routing", "Microsoft.Extensions.Configuration",
        "Microsoft.Extensions.DependencyInjection", "Microsoft.Extensions.Hosting", "Microsoft.Extensions.Logging",
    ];

    public static TheoryData<string> Pages()
    {
        var pages = new TheoryData<string>();
        foreach (string page in PageNames())
        {
            pages.Add(page);
        }

        return pages;
    }

    /// <summary>README.md and the docs/ pages that hold a C# block.</summary>
    private static List<string> PageNames() =>
        [.. new[] { "README.md" }
            .Concat(Directory.GetFiles(Path.Combine(RepoPaths.Root, "docs"), "*.md").Select(p => "docs/" + Path.GetFileName(p)))
            .Where(page => Blocks(page).Count > 0)
            .Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Pages))]
    public void EveryCSharpBlockOfThePage_Compiles(string page)
    {
        IReadOnlyList<(int Line, string Code)> blocks = Blocks(page);
        var usings = new SortedSet<string>(ImplicitUsings, StringComparer.Ordinal);
        var types = new StringBuilder();
        var methods = new StringBuilder();
        foreach ((int line, string code) in blocks)
        {
            var unit = (CompilationUnitSyntax)CSharpSyntaxTree.ParseText(code, new CSharpParseOptions(LanguageVersion.Latest)).GetRoot();
            foreach (UsingDirectiveSyntax directive in unit.Usings)
            {
                usings.Add(directive.Name!.ToString());
            }

            methods.Append($"    internal static async Task Block_line_{line}(string[] args)\n    {{\n#line {line + 1 + unit.Usings.Count} \"{page}\"\n");
            foreach (GlobalStatementSyntax statement in unit.Members.OfType<GlobalStatementSyntax>())
            {
                methods.Append(statement.ToFullString()).Append('\n');
            }

            methods.Append("#line default\n        await Task.CompletedTask;\n    }\n");
            foreach (MemberDeclarationSyntax member in unit.Members.Where(m => m is not GlobalStatementSyntax))
            {
                types.Append($"#line {line + 1 + code[..member.SpanStart].Count(c => c == '\n')} \"{page}\"\n").Append(member.ToFullString()).Append("\n#line default\n");
            }
        }

        string source = string.Concat(usings.Select(u => $"using {u};\n")) + types + "\ninternal static class DocBlocks\n{\n" + methods + "}\n";
        CSharpCompilation compilation = CSharpCompilation.Create(
            "DocBlocks_" + Path.GetFileNameWithoutExtension(page),
            [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest), path: page)],
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

        Diagnostic[] errors = [.. compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error)];
        Assert.True(errors.Length == 0, $"{page}: {errors.Length} compile error(s) in its C# blocks:\n" + string.Join('\n', errors.Select(e => e.ToString())));
    }

    [Fact]
    public void TheTest_FindsTheBlocks_AndFailsOnOneThatDoesNotCompile()
    {
        Assert.Contains("docs/writing-a-stage.md", PageNames());
        var unit = (CompilationUnitSyntax)CSharpSyntaxTree.ParseText("int x = \"not a number\";").GetRoot();
        CSharpCompilation broken = CSharpCompilation.Create("Broken", [unit.SyntaxTree], References.Value, new CSharpCompilationOptions(OutputKind.ConsoleApplication));
        Assert.Contains(broken.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error);
    }

    /// <summary>The page's <c>```csharp</c> blocks, each with the line its code starts on.</summary>
    internal static IReadOnlyList<(int Line, string Code)> Blocks(string page)
    {
        string[] lines = File.ReadAllLines(Path.Combine(RepoPaths.Root, page));
        var blocks = new List<(int, string)>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (!CSharpFence().IsMatch(lines[i]))
            {
                continue;
            }

            int start = i + 1;
            int end = Array.FindIndex(lines, start, l => l.TrimStart().StartsWith("```", StringComparison.Ordinal));
            blocks.Add((start, string.Join('\n', lines[start..end])));
            i = end;
        }

        return blocks;
    }

    /// <summary>The runtime's assemblies and every assembly beside the tests (the relay's, Akka's, the OpenAI SDK's, ...).</summary>
    private static readonly Lazy<MetadataReference[]> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Concat(Directory.GetFiles(AppContext.BaseDirectory, "*.dll"))
            .GroupBy(Path.GetFileName, StringComparer.OrdinalIgnoreCase)
            .Select(g => g.First())
            .Where(IsManaged)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToArray());

    private static bool IsManaged(string path)
    {
        try
        {
            System.Reflection.AssemblyName.GetAssemblyName(path);
            return true;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"^\s*```(csharp|cs|c#)\s*$")]
    private static partial Regex CSharpFence();
}
