using System.Diagnostics;
using System.Text.RegularExpressions;

namespace AkkaProxy.Host.Tests.Ledger;

/// <summary>
/// The relay host in a process of its own (the build's <c>AkkaProxy.Host.dll</c>, run by <c>dotnet</c>),
/// on a configuration file of the test's, so a test can kill it as an operator's machine would.
/// </summary>
internal sealed partial class HostProcess : IAsyncDisposable
{
    private readonly Process _process;

    private HostProcess(Process process, Uri baseUrl, System.Collections.Concurrent.ConcurrentQueue<string> output)
    {
        Output = output;
        _process = process;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

    /// <summary>What the process wrote to stdout and stderr so far, line by line (for failure messages).</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Output { get; }

    /// <summary>Starts the host on <paramref name="configFile"/> and waits until it listens.</summary>
    public static async Task<HostProcess> StartAsync(string configFile, string workingDirectory)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "AkkaProxy.Host.dll");
        var start = new ProcessStartInfo("dotnet", [dll, "--urls", "http://127.0.0.1:0"])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["AKKAPROXY_CONFIG"] = configFile;
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        var process = Process.Start(start)!;
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            output.Enqueue(e.Data);
            if (ListeningLine().Match(e.Data) is { Success: true } match)
            {
                listening.TrySetResult(new Uri(match.Groups[1].Value));
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                output.Enqueue(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Task exited = process.WaitForExitAsync();
        if (await Task.WhenAny(listening.Task, exited, Task.Delay(TimeSpan.FromSeconds(60))) != listening.Task)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException("The host did not start listening:\n" + string.Join('\n', output));
        }

        return new HostProcess(process, await listening.Task, output);
    }

    /// <summary>Runs the host with <paramref name="args"/> until it exits by itself (bounded), for what it prints and its exit code.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunToExitAsync(string workingDirectory, string? configFile, params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "AkkaProxy.Host.dll");
        var start = new ProcessStartInfo("dotnet", [dll, .. args])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (configFile is not null)
        {
            start.Environment["AKKAPROXY_CONFIG"] = configFile;
        }

        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        using var process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException("The host did not exit by itself:\n" + await stdout + await stderr);
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Asks the process to stop as a service manager would (SIGTERM), and returns once the signal was sent.</summary>
    public void Terminate()
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -TERM {_process.Id} exited with {kill.ExitCode}.");
        }
    }

    /// <summary>Waits for the process to exit by itself (bounded by <paramref name="within"/>), and returns its exit code.</summary>
    public async Task<int> ExitCodeAsync(TimeSpan within)
    {
        await _process.WaitForExitAsync().WaitAsync(within);
        return _process.ExitCode;
    }

    /// <summary>The process's signal masks, from /proc (for failure messages).</summary>
    public string SignalState() =>
        string.Join('\n', File.ReadAllLines($"/proc/{_process.Id}/status").Where(l => l.StartsWith("Sig", StringComparison.Ordinal) || l.StartsWith("Name", StringComparison.Ordinal))) + "\n";

    /// <summary>Kills the process at once (SIGKILL): nothing of it runs after this.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        _process.Dispose();
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();
}
