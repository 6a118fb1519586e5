using System.Diagnostics;
using System.Net;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;

namespace AkkaProxy.Host.Tests.Lifecycle;

/// <summary>
/// The Dockerfile, without a container engine (none runs here): its layout is what an operator needs
/// (multi-stage, non-root, a /data volume for the ledger, a health check on /readyz), what it copies
/// exists, and its publish step, run as it is written, gives a host that starts the way the image
/// starts it and answers the image's health check.
/// </summary>
[Collection(DotnetBuilds.Name)]
public sealed class DockerfileTests : IAsyncLifetime
{
    private static readonly string[] Lines = File.ReadAllLines(Path.Combine(RepoPaths.Root, "Dockerfile"))
        .Where(l => !l.TrimStart().StartsWith('#') && l.Trim().Length > 0).ToArray();

    private readonly string _directory = RelayTestHost.NewDataDirectory();
    private FakeUpstream _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FakeUpstream.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Fact]
    public void TheImage_IsBuiltInOneStage_AndRunsInAnotherAsANonRootUser_WithTheLedgerInAVolume()
    {
        string[] stages = [.. Lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal))];
        Assert.Equal(2, stages.Length);
        Assert.StartsWith("FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build", stages[0], StringComparison.Ordinal);
        Assert.StartsWith("FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime", stages[1], StringComparison.Ordinal);

        string[] runtime = [.. Lines.SkipWhile(l => l != stages[1])];
        Assert.Contains("USER $APP_UID", runtime); // the image's unprivileged user, never root
        Assert.Contains("VOLUME /data", runtime);
        Assert.Contains(runtime, l => l.Contains("AKKAPROXY_DATA_DIR=/data", StringComparison.Ordinal));
        Assert.Contains(runtime, l => l.Contains("chown \"$APP_UID\" /data", StringComparison.Ordinal)); // the user may write its ledger
        Assert.Contains("EXPOSE 8080", runtime);
        Assert.Contains(runtime, l => l.StartsWith("HEALTHCHECK", StringComparison.Ordinal));
        Assert.Contains(runtime, l => l.Contains("\"--check-ready\", \"http://127.0.0.1:8080/readyz\"", StringComparison.Ordinal));
        Assert.Equal("ENTRYPOINT [\"dotnet\", \"AkkaProxy.Host.dll\"]", runtime[^1]);
    }

    [Fact]
    public void EverythingTheBuildStageCopies_IsInTheRepository_AndBuildOutputIsIgnored()
    {
        foreach (string copy in Lines.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from", StringComparison.Ordinal)))
        {
            string[] parts = copy.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            foreach (string source in parts[1..^1])
            {
                string path = Path.Combine(RepoPaths.Root, source.TrimEnd('/'));
                Assert.True(File.Exists(path) || Directory.Exists(path), $"the Dockerfile copies {source}, which is not in the repository");
            }
        }

        // The restore layer has every project the host is built from (a project missing there fails the restore).
        List<string> beforeRestore = [.. Lines.TakeWhile(l => !l.StartsWith("RUN dotnet restore", StringComparison.Ordinal)).Where(l => l.StartsWith("COPY ", StringComparison.Ordinal))];
        foreach (string project in Directory.GetFiles(Path.Combine(RepoPaths.Root, "src"), "*.csproj", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(RepoPaths.Root, project).Replace('\\', '/');
            Assert.Contains(beforeRestore, l => l.Contains(relative + " ", StringComparison.Ordinal));
        }

        string[] ignored = File.ReadAllLines(Path.Combine(RepoPaths.Root, ".dockerignore"));
        Assert.Contains("**/bin/", ignored);
        Assert.Contains("**/obj/", ignored);
    }

    [Fact]
    public async Task ThePublishStep_GivesAHost_ThatStartsAsTheImageStartsIt_AndAnswersItsHealthCheck()
    {
        // The Dockerfile's own publish command, with the output somewhere of the test's.
        string publish = Assert.Single(Lines, l => l.StartsWith("RUN dotnet publish", StringComparison.Ordinal));
        string output = Path.Combine(_directory, "publish");
        string[] arguments = [.. publish["RUN dotnet ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(a => a == "/app/publish" ? output : a)];
        (int published, string log) = await RunAsync(RepoPaths.Root, arguments);
        Assert.True(published == 0, "dotnet " + string.Join(' ', arguments) + " failed:\n" + log);

        int port = ChildProcess.FreePort();
        string readyz = $"http://127.0.0.1:{port}/readyz";
        Assert.Equal(1, (await CheckReadyAsync(output, readyz)).Exit); // nothing there yet: unhealthy

        string config = Path.Combine(_directory, "relay.conf");
        // Relay keys (bound beyond loopback, the relay needs them); the ledger's place left to AKKAPROXY_DATA_DIR, as in the image.
        string hocon = string.Join('\n', RelayTestHost.Hocon(_upstream).Split('\n').Where(l => !l.TrimStart().StartsWith("ledger { data-directory", StringComparison.Ordinal)));
        Assert.DoesNotContain("data-directory", hocon, StringComparison.Ordinal);
        await File.WriteAllTextAsync(config, hocon);
        var start = new ProcessStartInfo("dotnet", [Path.Combine(output, "AkkaProxy.Host.dll")])
        {
            WorkingDirectory = output,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ASPNETCORE_URLS"] = $"http://+:{port}"; // as the image's ENV
        start.Environment["AKKAPROXY_DATA_DIR"] = Path.Combine(_directory, "data");
        start.Environment["AKKAPROXY_CONFIG"] = config;
        using Process relay = Process.Start(start)!;
        try
        {
            (int exit, string said) = (1, "");
            for (int attempt = 0; attempt < 60 && exit != 0 && !relay.HasExited; attempt++)
            {
                (exit, said) = await CheckReadyAsync(output, readyz); // each attempt waits up to 5 s for an answer
            }

            Assert.True(exit == 0, $"the health check never passed: {said}");
            Assert.True(File.Exists(Path.Combine(_directory, "data", "usage.db")), "the ledger is not in the data directory the image names");
        }
        finally
        {
            relay.Kill(entireProcessTree: true);
            await relay.WaitForExitAsync();
        }
    }

    private static Task<(int Exit, string Output)> CheckReadyAsync(string published, string url) =>
        RunAsync(published, [Path.Combine(published, "AkkaProxy.Host.dll"), "--check-ready", url]);

    private static async Task<(int Exit, string Output)> RunAsync(string directory, string[] arguments)
    {
        ProcessResult result = await ChildProcess.RunAsync("dotnet", arguments, directory, TimeSpan.FromMinutes(5));
        return (result.ExitCode, result.Stdout + result.Stderr);
    }
}
