using System.Reflection;
using PublicApiGenerator;
using Xunit;

namespace AkkaProxy.Tests.Shared;

/// <summary>
/// Holds a package's public API against a checked-in snapshot, so a change to what its users see is
/// a reviewed change. On a difference it writes what it found beside the snapshot
/// (<c>*.received.txt</c>, git-ignored) and fails: review it, and approve it by copying it over the
/// <c>*.approved.txt</c> file. Compiled into each test project that holds a package's snapshot.
/// </summary>
internal static class PublicApiSnapshot
{
    /// <summary>Compares <paramref name="assembly"/>'s public API with <c>{folder}/{name}.approved.txt</c> under <paramref name="repositoryRoot"/>.</summary>
    public static void Verify(Assembly assembly, string repositoryRoot, string folder)
    {
        string name = assembly.GetName().Name!;
        string actual = Normalize(assembly.GeneratePublicApi(new ApiGeneratorOptions
        {
            // The assembly's attributes (target framework, InternalsVisibleTo, version) are not API.
            IncludeAssemblyAttributes = false,
        }));

        string approvedFile = $"{name}.approved.txt";
        string receivedFile = $"{name}.received.txt";
        string approvedPath = Path.Combine(repositoryRoot, folder, approvedFile);
        string receivedPath = Path.Combine(repositoryRoot, folder, receivedFile);
        string approved = File.Exists(approvedPath) ? Normalize(File.ReadAllText(approvedPath)) : "";
        if (actual == approved)
        {
            File.Delete(receivedPath);
            return;
        }

        File.WriteAllText(receivedPath, actual);
        Assert.Fail(
            $"The public API of {name} differs from {folder}/{approvedFile}.{Environment.NewLine}" +
            $"What it is now was written to {folder}/{receivedFile}. If the change is intended, review the difference " +
            $"(diff {folder}/{approvedFile} {folder}/{receivedFile}) and approve it by copying the received file over the approved one; " +
            $"otherwise make the new types or members internal.{Environment.NewLine}" +
            FirstDifference(approved, actual));
    }

    /// <summary>LF line endings and one final newline, whatever the platform or a checkout did to them.</summary>
    private static string Normalize(string text) =>
        text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').TrimEnd('\n') + "\n";

    private static string FirstDifference(string approved, string actual)
    {
        string[] expected = approved.Split('\n');
        string[] found = actual.Split('\n');
        for (int i = 0; i < Math.Max(expected.Length, found.Length); i++)
        {
            string before = i < expected.Length ? expected[i] : "(end of file)";
            string now = i < found.Length ? found[i] : "(end of file)";
            if (before != now)
            {
                return $"First difference, line {i + 1}:{Environment.NewLine}  approved: {before}{Environment.NewLine}  received: {now}";
            }
        }

        return "";
    }
}
