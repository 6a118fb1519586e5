using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Xml.Linq;
using AkkaProxy.Host.Tests.Docs;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;

namespace AkkaProxy.Host.Tests.Packaging;

/// <summary>
/// <c>dotnet pack</c> makes the two packages, each with its id, version, README, XML docs, symbols and
/// the commit it was built from; and the embedding page's code, as a sample app's <c>Program.cs</c>
/// that references <c>AkkaProxy.Hosting</c> from a folder feed of those packages (no project
/// reference), builds, starts, and relays one streaming request with the page's flow in it.
/// </summary>
[Collection(DotnetBuilds.Name)]
public sealed class PackagesTests : IAsyncLifetime
{
    private static readonly string[] Packages = ["AkkaProxy.Pipeline", "AkkaProxy.Hosting", "AkkaProxy.Ledger.Sqlite", "AkkaProxy.Ledger.Postgres", "AkkaProxy.Cluster"];

    // A version of this run's own, so the machine's package cache never serves an earlier build's package.
    private readonly string _version = "0.0.0-sample." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", System.Globalization.CultureInfo.InvariantCulture);
    private readonly string _directory = RelayTestHost.NewDataDirectory();
    private FakeUpstream _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FakeUpstream.StartAsync();

    public async Task DisposeAsync()
    {
        await _upstream.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (string package in Packages)
        {
            string cached = Path.Combine(cache, package.ToLowerInvariant(), _version);
            if (Directory.Exists(cached))
            {
                Directory.Delete(cached, recursive: true); // this run's only
            }
        }
    }

    [Fact]
    public async Task ThePackages_CarryTheirMetadata_AndTheEmbeddingPage_RunsAsASampleAppFromThem()
    {
        string feed = Path.Combine(_directory, "feed");
        foreach (string package in Packages)
        {
            string project = Path.Combine(RepoPaths.Root, "src", package["AkkaProxy.".Length..], package + ".csproj");
            await RunAsync(RepoPaths.Root, "pack", project, "-c", "Release", "-o", feed, "-p:Version=" + _version);
            AssertPackage(feed, package);
        }

        string sample = Path.Combine(_directory, "sample");
        Directory.CreateDirectory(sample);
        await File.WriteAllTextAsync(Path.Combine(sample, "Sample.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk.Web">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="AkkaProxy.Hosting" Version="{_version}" />
                <PackageReference Include="AkkaProxy.Ledger.Sqlite" Version="{_version}" />
              </ItemGroup>
            </Project>
            """);
        // The folder feed beside the sources this machine restores from.
        await File.WriteAllTextAsync(Path.Combine(sample, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="akkaproxy-local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        (int line, string code) = Assert.Single(DocsCompileTests.Blocks("docs/embedding.md"));
        Assert.Contains("builder.AddAkkaProxy(", code, StringComparison.Ordinal);
        await File.WriteAllTextAsync(Path.Combine(sample, "Program.cs"), code);
        await File.WriteAllTextAsync(Path.Combine(sample, "relay.conf"), RelayTestHost.Hocon(_upstream, dataDirectory: Path.Combine(_directory, "ledger")));
        await RunAsync(sample, "build", "-c", "Release");
        Assert.True(line > 0);
        // The sample chose the SQLite store: it carries SQLite, and no PostgreSQL driver.
        string bin = Path.Combine(sample, "bin", "Release", "net10.0");
        Assert.True(File.Exists(Path.Combine(bin, "Microsoft.Data.Sqlite.dll")));
        Assert.False(File.Exists(Path.Combine(bin, "Npgsql.dll")), "the sample app carries Npgsql without using it");

        int port = ChildProcess.FreePort();
        var start = new ProcessStartInfo("dotnet", [Path.Combine(sample, "bin", "Release", "net10.0", "Sample.dll"), "--urls", $"http://127.0.0.1:{port}"])
        {
            WorkingDirectory = sample,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process app = Process.Start(start)!;
        var output = new StringBuilder();
        app.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        app.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        app.BeginOutputReadLine();
        app.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
            await WaitUntilListeningAsync(http, app, output);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/responses")
            {
                Content = new StringContent("""{"model":"openai/gpt-4o","stream":true,"input":"from the sample"}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", RelayTestHost.RelayKey);
            using HttpResponseMessage response = await http.SendAsync(request);
            string body = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            // The page's flow tagged every event, and the stream is whole.
            Assert.Equal(FakeStreams.Responses("gpt-4o").Count, body.Split(": via team-service\n").Length - 1);
            Assert.Contains("event: response.completed", body, StringComparison.Ordinal);
        }
        finally
        {
            app.Kill(entireProcessTree: true);
            await app.WaitForExitAsync();
        }
    }

    /// <summary>The package's manifest and contents: what a package feed and a debugger need.</summary>
    private void AssertPackage(string feed, string id)
    {
        string file = Path.Combine(feed, $"{id}.{_version}.nupkg");
        Assert.True(File.Exists(Path.Combine(feed, $"{id}.{_version}.snupkg")), $"{id} has no symbol package");
        using ZipArchive package = ZipFile.OpenRead(file);
        string[] entries = [.. package.Entries.Select(e => e.FullName)];
        Assert.Contains($"lib/net10.0/{id}.dll", entries);
        Assert.Contains($"lib/net10.0/{id}.xml", entries); // the XML docs, for IntelliSense
        Assert.Contains("README.md", entries);

        using Stream nuspec = package.GetEntry($"{id}.nuspec")!.Open();
        XElement metadata = XDocument.Load(nuspec).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        string Field(string name) => metadata.Elements().Single(e => e.Name.LocalName == name).Value;
        Assert.Equal(id, Field("id"));
        Assert.Equal(_version, Field("version"));
        Assert.Equal("README.md", Field("readme"));
        Assert.False(string.IsNullOrWhiteSpace(Field("description")));
        if (Directory.Exists(Path.Combine(RepoPaths.Root, ".git")))
        {
            // Source Link's record of the sources: the commit the package was built from.
            XElement repository = metadata.Elements().Single(e => e.Name.LocalName == "repository");
            Assert.Matches("^[0-9a-f]{40}$", (string?)repository.Attribute("commit") ?? "");
        }

        // Each depends on exactly the version of the packages whose internals it uses; the relay's
        // package carries no database driver: each store brings its own.
        string[] dependencies = [.. metadata.Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => $"{e.Attribute("id")?.Value} {e.Attribute("version")?.Value}")];
        string? requires = id switch
        {
            "AkkaProxy.Hosting" => "AkkaProxy.Pipeline",
            "AkkaProxy.Ledger.Sqlite" or "AkkaProxy.Ledger.Postgres" or "AkkaProxy.Cluster" => "AkkaProxy.Hosting",
            _ => null,
        };
        if (requires is not null)
        {
            Assert.Contains($"{requires} [{_version}]", dependencies);
        }

        Assert.Equal(id == "AkkaProxy.Ledger.Sqlite", dependencies.Any(d => d.StartsWith("Microsoft.Data.Sqlite ", StringComparison.Ordinal)));
        Assert.Equal(id == "AkkaProxy.Ledger.Postgres", dependencies.Any(d => d.StartsWith("Npgsql ", StringComparison.Ordinal)));
        Assert.Equal(id == "AkkaProxy.Cluster", dependencies.Any(d => d.StartsWith("Akka.Cluster", StringComparison.Ordinal))); // a single node carries no cluster
    }

    private static async Task WaitUntilListeningAsync(HttpClient http, Process app, StringBuilder output)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            Assert.False(app.HasExited, "the sample app exited: " + output);
            try
            {
                using HttpResponseMessage health = await http.GetAsync("/healthz", bound.Token);
                if (health.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(100, bound.Token);
        }
    }

    private static async Task RunAsync(string directory, params string[] arguments)
    {
        ProcessResult result = await ChildProcess.RunAsync("dotnet", arguments, directory, TimeSpan.FromMinutes(5));
        Assert.True(result.ExitCode == 0, $"dotnet {string.Join(' ', arguments)} failed:\n{result.Output}");
    }
}
