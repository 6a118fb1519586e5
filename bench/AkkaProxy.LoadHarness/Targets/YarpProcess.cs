using System.Diagnostics;

namespace AkkaProxy.LoadHarness.Targets;

/// <summary>
/// YARP as the second raw passthrough, beside nginx: bench/AkkaProxy.YarpTarget from its Release build,
/// <c>dotnet bench/AkkaProxy.YarpTarget/bin/Release/net10.0/AkkaProxy.YarpTarget.dll --urls http://127.0.0.1:PORT --upstream http://127.0.0.1:PORT</c>,
/// a process of its own (one route for every path, one destination, HTTP/1.1 keep-alive upstream,
/// response buffering off, X-Forwarded-* off; see its Program.cs). Its console goes to a log file.
/// </summary>
public sealed class YarpProcess : IAsyncDisposable
{
    private YarpProcess(ChildProcess process, Uri baseUri, string version)
    {
        Process = process;
        BaseUri = baseUri;
        Version = version;
    }

    public ChildProcess Process { get; }

    public Uri BaseUri { get; }

    /// <summary>Yarp.ReverseProxy's version, from the assembly the target runs.</summary>
    public string Version { get; }

    public static string Dll(string repoRoot) => Path.Combine(repoRoot, "bench", "AkkaProxy.YarpTarget", "bin", "Release", "net10.0", "AkkaProxy.YarpTarget.dll");

    public static async Task<YarpProcess> StartAsync(string repoRoot, Uri fakeBaseUri, string workDir)
    {
        string dll = Dll(repoRoot);
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"Build the YARP target first: dotnet build -c Release bench/AkkaProxy.YarpTarget ({dll} is missing).");
        }

        string log = Path.Combine(workDir, "yarp.log");
        var baseUri = new Uri($"http://127.0.0.1:{FreePort.Next()}");
        var info = new ProcessStartInfo("/bin/sh") { WorkingDirectory = workDir };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec dotnet \"$0\" --urls \"$1\" --upstream \"$2\" >\"$3\" 2>&1");
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add(baseUri.ToString().TrimEnd('/'));
        info.ArgumentList.Add(fakeBaseUri.ToString().TrimEnd('/'));
        info.ArgumentList.Add(log);

        ChildProcess process = ChildProcess.Start("yarp", info);
        try
        {
            await ReadyProbe.WaitAsync(baseUri, process, TimeSpan.FromSeconds(60), () => File.Exists(log) ? File.ReadAllText(log) : "(no log)");
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }

        string? version = FileVersionInfo.GetVersionInfo(Path.Combine(Path.GetDirectoryName(dll)!, "Yarp.ReverseProxy.dll")).ProductVersion;
        return new YarpProcess(process, baseUri, "Yarp.ReverseProxy " + (version?.Split('+')[0] ?? "?"));
    }

    public Target AsTarget() => new(Target.Yarp, BaseUri, "", () => Process.HasExited ? [] : [Process.Pid]) { IsDotNet = true };

    public ValueTask DisposeAsync() => Process.DisposeAsync();
}
