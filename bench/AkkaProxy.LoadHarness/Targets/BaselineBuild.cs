using System.Diagnostics;
using System.Globalization;

namespace AkkaProxy.LoadHarness.Targets;

/// <summary>
/// The relay as it was at an earlier commit, to run side by side with the current one (<c>--baseline REV</c>):
/// the commit checked out in a temporary <c>git worktree</c> outside the repository's folder, and its
/// host built Release there (<c>dotnet build src/Host -c Release</c> in the worktree, so into the
/// worktree's own bin/ and obj/; nothing of the current checkout is touched). The worktree is removed
/// (<c>git worktree remove --force</c>) when this is disposed or the harness exits; one left by a
/// killed run is removed by the next.
/// </summary>
public sealed class BaselineBuild : IAsyncDisposable
{
    private const string TempPrefix = "akkaproxy-baseline-";
    private const string OwnerFile = "harness.pid";
    private readonly string _repoRoot;
    private readonly string _tempDir;
    private int _removed;

    private BaselineBuild(string repoRoot, string tempDir, string revision, string commit, string subject)
    {
        _repoRoot = repoRoot;
        _tempDir = tempDir;
        Revision = revision;
        Commit = commit;
        Subject = subject;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Remove();
    }

    /// <summary>The revision as given on the command line.</summary>
    public string Revision { get; }

    /// <summary>The commit it names (abbreviated hash).</summary>
    public string Commit { get; }

    /// <summary>That commit's subject line.</summary>
    public string Subject { get; }

    public TimeSpan BuildTime { get; private set; }

    public string Worktree => Path.Combine(_tempDir, "repo");

    public string HostDll => RelayProcess.HostDll(Worktree);

    public static async Task<BaselineBuild> CreateAsync(string repoRoot, string revision)
    {
        await RemoveLeftoversAsync(repoRoot);
        string commit = (await RunAsync("git", repoRoot, "rev-parse", "--verify", "--short", revision + "^{commit}")).Trim();
        string subject = (await RunAsync("git", repoRoot, "log", "-1", "--format=%s", commit)).Trim();
        var build = new BaselineBuild(repoRoot, Directory.CreateTempSubdirectory(TempPrefix).FullName, revision, commit, subject);
        try
        {
            await File.WriteAllTextAsync(Path.Combine(build._tempDir, OwnerFile), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            await RunAsync("git", repoRoot, "worktree", "add", "--detach", "--quiet", build.Worktree, commit);
            var clock = Stopwatch.StartNew();
            await RunAsync("dotnet", build.Worktree, "build", "src/Host", "-c", "Release", "--nologo", "-v", "quiet", "-clp:ErrorsOnly");
            build.BuildTime = clock.Elapsed;
            if (!File.Exists(build.HostDll))
            {
                throw new FileNotFoundException($"The build of {commit} produced no {build.HostDll}.");
            }

            return build;
        }
        catch
        {
            build.Remove();
            throw;
        }
    }

    public ValueTask DisposeAsync()
    {
        Remove();
        return ValueTask.CompletedTask;
    }

    /// <summary>Removes the worktree and its temporary folder (once; also from the exit handler).</summary>
    private void Remove()
    {
        if (Interlocked.Exchange(ref _removed, 1) != 0)
        {
            return;
        }

        RemoveWorktree(_repoRoot, Worktree);
        try
        {
            Directory.Delete(_tempDir, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean.
        }
    }

    private static void RemoveWorktree(string repoRoot, string worktree)
    {
        try
        {
            using var remove = Process.Start(new ProcessStartInfo("git", ["worktree", "remove", "--force", worktree]) { WorkingDirectory = repoRoot, RedirectStandardError = true, UseShellExecute = false })!;
            remove.WaitForExit();
            if (remove.ExitCode != 0 && !Directory.Exists(worktree))
            {
                // Its folder is already gone: drop git's record of it (prune touches only worktrees whose folder is missing).
                using var prune = Process.Start(new ProcessStartInfo("git", ["worktree", "prune"]) { WorkingDirectory = repoRoot, UseShellExecute = false })!;
                prune.WaitForExit();
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No git: nothing was added.
        }
    }

    /// <summary>Worktrees a killed run left in the temporary folder (not those of a harness still running).</summary>
    private static async Task RemoveLeftoversAsync(string repoRoot)
    {
        string prefix = Path.Combine(Path.GetTempPath(), TempPrefix);
        string list = await RunAsync("git", repoRoot, "worktree", "list", "--porcelain");
        foreach (string line in list.Split('\n'))
        {
            if (!line.StartsWith("worktree " + prefix, StringComparison.Ordinal))
            {
                continue;
            }

            string worktree = line["worktree ".Length..];
            string tempDir = Path.GetDirectoryName(worktree)!;
            string owner = Path.Combine(tempDir, OwnerFile);
            if (File.Exists(owner) && Directory.Exists("/proc/" + File.ReadAllText(owner).Trim()))
            {
                continue;
            }

            Console.WriteLine($"removing the worktree a killed run left: {worktree}");
            RemoveWorktree(repoRoot, worktree);
            try
            {
                Directory.Delete(tempDir, recursive: true);
            }
            catch (IOException)
            {
                // Left for the OS to clean.
            }
        }
    }

    private static async Task<string> RunAsync(string file, string workingDirectory, params string[] arguments)
    {
        var info = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using Process process = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start.");
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}):\n{await output}{await errors}");
        }

        return await output;
    }
}
