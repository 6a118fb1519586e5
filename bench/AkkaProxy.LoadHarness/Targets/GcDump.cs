using System.Diagnostics;

namespace AkkaProxy.LoadHarness.Targets;

/// <summary>
/// Writes a heap dump of a relay process with the <c>dotnet-gcdump</c> tool (<c>--gcdump DIR</c>), so
/// what an idle socket holds can be read type by type (<c>dotnet-gcdump report FILE</c>).
/// </summary>
public static class GcDump
{
    public static async Task WriteAsync(string? directory, int pid, string name)
    {
        if (directory is null)
        {
            return;
        }

        Directory.CreateDirectory(directory);
        string file = Path.Combine(directory, name + ".gcdump");
        string installed = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools", "dotnet-gcdump");
        var start = new ProcessStartInfo(File.Exists(installed) ? installed : "dotnet-gcdump") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in (string[])["collect", "-p", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", file])
        {
            start.ArgumentList.Add(arg);
        }

        using Process tool = Process.Start(start) ?? throw new InvalidOperationException("dotnet-gcdump did not start (dotnet tool install -g dotnet-gcdump).");
        // Both pipes at once: reading one to its end first could block on the other filling up.
        Task<string> stdout = tool.StandardOutput.ReadToEndAsync();
        Task<string> stderr = tool.StandardError.ReadToEndAsync();
        string output = string.Concat(await stdout, await stderr);
        await tool.WaitForExitAsync();
        if (tool.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet-gcdump collect -p {pid} failed ({tool.ExitCode}): {output}");
        }

        Console.WriteLine($"heap dump of {name}: {file}");
    }
}
