using System.Diagnostics;

namespace AkkaProxy.LoadHarness.Targets;

/// <summary>
/// AkkaProxy's host, from its Release build, as a process of its own, so its CPU time and memory are
/// its alone: <c>dotnet src/Host/bin/Release/net10.0/AkkaProxy.Host.dll --urls http://127.0.0.1:PORT</c>
/// (or the same file of an earlier commit's build, <see cref="BaselineBuild"/>) with
/// <c>AKKAPROXY_CONFIG</c> naming a HOCON file that adds a provider <c>fake</c> pointing at the
/// fake upstream. The relay is open (no relay keys), as on loopback. Its console goes to a log file.
/// </summary>
public sealed class RelayProcess : IAsyncDisposable
{
    private RelayProcess(ChildProcess process, Uri baseUri, string logFile)
    {
        Process = process;
        BaseUri = baseUri;
        LogFile = logFile;
    }

    public ChildProcess Process { get; }

    public Uri BaseUri { get; }

    public string LogFile { get; }

    public static string HostDll(string repoRoot) => Path.Combine(repoRoot, "src", "Host", "bin", "Release", "net10.0", "AkkaProxy.Host.dll");

    /// <summary>The HOCON the relay runs with.</summary>
    public static string Config(Uri fakeBaseUri, string logLevel, string extraHocon = "") => $$"""
        # Written by the load harness.
        akkaproxy.routing.providers {
          fake { kind = openai, base-url = "{{new Uri(fakeBaseUri, "/v1")}}", api-key = "sk-fake" }
        }
        Logging {
          LogLevel {
            Default = {{logLevel}}
          }
        }
        {{extraHocon}}
        """;

    /// <summary>Starts the host <paramref name="dll"/> (<see cref="HostDll"/> of the repository or of an earlier build); <paramref name="build"/> names it in its files.</summary>
    public static async Task<RelayProcess> StartAsync(string dll, Uri fakeBaseUri, string logLevel, string workDir, IReadOnlyDictionary<string, string>? environment = null, string build = Target.Relay, string extraHocon = "")
    {
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"Build the relay first: dotnet build -c Release src/Host ({dll} is missing).");
        }

        string name = build + "-" + logLevel.ToLowerInvariant();
        string config = Path.Combine(workDir, name + ".conf");
        await File.WriteAllTextAsync(config, Config(fakeBaseUri, logLevel, extraHocon));
        string log = Path.Combine(workDir, name + "-" + Guid.NewGuid().ToString("N")[..6] + ".log");
        var baseUri = new Uri($"http://127.0.0.1:{FreePort.Next()}");

        var info = new ProcessStartInfo("/bin/sh") { WorkingDirectory = workDir };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec dotnet \"$0\" --urls \"$1\" >\"$2\" 2>&1");
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add(baseUri.ToString().TrimEnd('/'));
        info.ArgumentList.Add(log);
        info.Environment["AKKAPROXY_CONFIG"] = config;
        // A ledger of its own: relays alive at once (relay and relay-before) would share one SQLite file,
        // which the relay now refuses, and which made each one's writes wait on the other's.
        info.Environment["AKKAPROXY_DATA_DIR"] = Path.Combine(workDir, "data-" + Path.GetFileNameWithoutExtension(log));
        foreach ((string variable, string value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[variable] = value;
        }

        ChildProcess process = ChildProcess.Start(build, info);
        try
        {
            await ReadyProbe.WaitAsync(baseUri, process, TimeSpan.FromSeconds(60), () => Tail(log));
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }

        return new RelayProcess(process, baseUri, log);
    }

    public Target AsTarget(string name = Target.Relay) => new(name, BaseUri, "fake/", () => Process.HasExited ? [] : [Process.Pid]) { IsDotNet = true };

    public ValueTask DisposeAsync() => Process.DisposeAsync();

    private static string Tail(string file) =>
        File.Exists(file) ? string.Join('\n', File.ReadLines(file).TakeLast(20)) : "(no log)";
}
