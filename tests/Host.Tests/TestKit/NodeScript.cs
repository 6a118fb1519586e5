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
        ProcessResult node = await ChildProcess.RunAsync("node", [Path.Combine(directory, name)], directory, TimeSpan.FromSeconds(60), environment);
        Assert.True(node.ExitCode == 0, $"node {name} exited {node.ExitCode}: {node.Stderr}");
        return node.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
    }

    /// <summary>The path of a command-line tool tests/node installs (<c>codex</c>, <c>claude</c>).</summary>
    public static string Tool(string name)
    {
        string path = Path.Combine(RepoPaths.Root, "tests", "node", "node_modules", ".bin", name);
        Assert.True(File.Exists(path), $"{path} is missing: run ./scripts/test.sh (it installs tests/node).");
        return path;
    }
}
