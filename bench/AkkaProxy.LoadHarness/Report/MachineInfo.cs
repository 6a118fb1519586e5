using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using AkkaProxy.LoadHarness.Results;
using AkkaProxy.LoadHarness.Targets;

namespace AkkaProxy.LoadHarness.Report;

/// <summary>Collects the machine's facts: CPU model and cores, memory, OS and kernel, .NET runtime, nginx, YARP, the relay's GC mode, the earlier build.</summary>
public static class MachineInfo
{
    public static async Task<MachineFacts> CollectAsync(string repoRoot, string nginxVersion, string? yarpVersion, BaselineBuild? baseline)
    {
        string lscpu = await RunAsync("lscpu", "");
        string model = Field(lscpu, "Model name:") ?? "?";
        string threadsPerCore = Field(lscpu, "Thread(s) per core:") ?? "?";
        string hypervisor = Field(lscpu, "Hypervisor vendor:") is string h ? $", {h} guest" : "";
        string memTotal = Field(await File.ReadAllTextAsync("/proc/meminfo"), "MemTotal:") ?? "?";
        double memGiB = double.TryParse(memTotal.Split(' ')[0], out double kib) ? kib / 1024 / 1024 : double.NaN;
        string os = Field(await File.ReadAllTextAsync("/etc/os-release"), "PRETTY_NAME=")?.Trim('"') ?? RuntimeInformation.OSDescription;
        string kernel = (await RunAsync("uname", "-r")).Trim();
        string runtimes = await RunAsync("dotnet", "--list-runtimes");
        string sdk = (await RunAsync("dotnet", "--version")).Trim();
        string netcore = runtimes.Split('\n').FirstOrDefault(l => l.StartsWith("Microsoft.NETCore.App ", StringComparison.Ordinal))?.Split(' ')[1] ?? "?";
        string aspnet = runtimes.Split('\n').FirstOrDefault(l => l.StartsWith("Microsoft.AspNetCore.App ", StringComparison.Ordinal))?.Split(' ')[1] ?? "?";
        var rows = new List<(string, string)>
        {
            ("CPU", $"{model}{hypervisor}, {Environment.ProcessorCount} logical CPUs ({threadsPerCore} thread(s) per core)"),
            ("Memory", $"{memGiB:0.0} GiB"),
            ("OS", $"{os}, kernel {kernel}"),
            (".NET", $"SDK {sdk}; runtime Microsoft.NETCore.App {netcore}, Microsoft.AspNetCore.App {aspnet}"),
            ("Relay GC", GcMode(RelayProcess.HostDll(repoRoot))),
            ("nginx", nginxVersion),
        };
        if (yarpVersion is not null)
        {
            rows.Add(("YARP", $"{yarpVersion} (bench/AkkaProxy.YarpTarget; GC: {GcMode(YarpProcess.Dll(repoRoot))})"));
        }

        if (baseline is not null)
        {
            string named = baseline.Commit.StartsWith(baseline.Revision, StringComparison.OrdinalIgnoreCase) ? $"commit `{baseline.Commit}`" : $"`{baseline.Revision}` = commit `{baseline.Commit}`";
            rows.Add(("Earlier build (relay-before)", $"{named} \"{baseline.Subject.Replace("|", "\\|", StringComparison.Ordinal)}\", src/Host built Release in a temporary git worktree; GC: {GcMode(baseline.HostDll)}"));
        }

        return new MachineFacts(rows);
    }

    /// <summary>The GC mode a .NET program's runtimeconfig.json (beside <paramref name="dll"/>) asks for.</summary>
    private static string GcMode(string dll)
    {
        string path = Path.ChangeExtension(dll, ".runtimeconfig.json");
        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
            JsonElement props = doc.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
            bool server = props.TryGetProperty("System.GC.Server", out JsonElement s) && s.GetBoolean();
            bool concurrent = !props.TryGetProperty("System.GC.Concurrent", out JsonElement c) || c.GetBoolean();
            return (server ? "server" : "workstation") + (concurrent ? ", concurrent" : ", non-concurrent") + $" ({Path.GetFileName(path)})";
        }
        catch (Exception ex) when (ex is IOException or JsonException or KeyNotFoundException)
        {
            return "?";
        }
    }

    private static string? Field(string text, string key) =>
        text.Split('\n').FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal))?[key.Length..].Trim();

    private static async Task<string> RunAsync(string file, string arguments)
    {
        try
        {
            var info = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, UseShellExecute = false };
            using Process process = Process.Start(info)!;
            string output = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            return output;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "";
        }
    }
}
