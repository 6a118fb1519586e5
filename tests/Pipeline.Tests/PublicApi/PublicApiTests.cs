using AkkaProxy.Pipeline.Tests.TestKit;
using PublicApiGenerator;

namespace AkkaProxy.Pipeline.Tests.PublicApi;

/// <summary>
/// The public API of AkkaProxy.Pipeline is held against a checked-in snapshot, so a change to what an
/// embedder sees is a reviewed change. On a difference the test writes what it found beside the
/// snapshot (<c>*.received.txt</c>, git-ignored): review it, and approve it by copying it over the
/// <c>*.approved.txt</c> file.
/// </summary>
public sealed class PublicApiTests
{
    private const string Folder = "tests/Pipeline.Tests/PublicApi";
    private const string Approved = "AkkaProxy.Pipeline.approved.txt";
    private const string Received = "AkkaProxy.Pipeline.received.txt";

    [Fact]
    public void PublicApi_MatchesTheApprovedSnapshot()
    {
        string actual = Normalize(typeof(ProxyStreamFactory).Assembly.GeneratePublicApi(new ApiGeneratorOptions
        {
            // The assembly's attributes (target framework, InternalsVisibleTo, version) are not API.
            IncludeAssemblyAttributes = false,
        }));

        string folder = Path.Combine(RepoPaths.Root, Folder);
        string approvedPath = Path.Combine(folder, Approved);
        string receivedPath = Path.Combine(folder, Received);
        string approved = File.Exists(approvedPath) ? Normalize(File.ReadAllText(approvedPath)) : "";
        if (actual == approved)
        {
            File.Delete(receivedPath);
            return;
        }

        File.WriteAllText(receivedPath, actual);
        Assert.Fail(
            $"The public API of AkkaProxy.Pipeline differs from {Folder}/{Approved}.{Environment.NewLine}" +
            $"What it is now was written to {Folder}/{Received}. If the change is intended, review the difference " +
            $"(diff {Folder}/{Approved} {Folder}/{Received}) and approve it by copying the received file over the approved one; " +
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
