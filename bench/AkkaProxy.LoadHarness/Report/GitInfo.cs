using System.Diagnostics;

namespace AkkaProxy.LoadHarness.Report;

/// <summary>The commit the run measured, with "+ changes" when the work tree differs from it.</summary>
public static class GitInfo
{
    public static async Task<string> DescribeAsync(string repoRoot)
    {
        string head = (await GitAsync(repoRoot, "rev-parse --short HEAD")).Trim();
        string status = (await GitAsync(repoRoot, "status --porcelain --untracked-files=no -- src")).Trim();
        return head.Length == 0 ? "unknown" : status.Length == 0 ? head : head + " + uncommitted changes in src/";
    }

    private static async Task<string> GitAsync(string repoRoot, string arguments)
    {
        try
        {
            var info = new ProcessStartInfo("git", arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = repoRoot };
            using Process process = Process.Start(info)!;
            string output = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            return process.ExitCode == 0 ? output : "";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "";
        }
    }
}
