using System.Diagnostics;
using System.Text.Json;

namespace AkkaProxy.Host.Tests.TestKit;

/// <summary>Runs a script of tests/node (the official OpenAI Node SDK, installed by scripts/setup-test-deps.sh) and reads the JSON lines it prints.</summary>
internal static class NodeScript
{
    public static async Task<JsonElement[]> RunAsync(string name, IReadOnlyDictionary<string, string> environment)
    {
        string directory = Path.Combine(RepoPaths.Root, "tests", "node");
        Assert.True(Directory.Exists(Path.Combine(directory, "node_modules", "openai")),
            "tests/node/node_modules is missing: run ./scripts/test.sh (it installs the Node client).");
        var start = new ProcessStartInfo("node", [Path.Combine(directory, name)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory,
        };
        foreach ((string key, string value) in environment)
        {
            start.Environment[key] = value;
        }

        using Process node = Process.Start(start)!;
        Task<string> stdout = node.StandardOutput.ReadToEndAsync();
        Task<string> stderr = node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(node.ExitCode == 0, $"node {name} exited {node.ExitCode}: {await stderr}");
        return (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
    }
}
