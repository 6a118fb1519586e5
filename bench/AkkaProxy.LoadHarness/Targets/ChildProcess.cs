using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace AkkaProxy.LoadHarness.Targets;

/// <summary>
/// A process the harness started. Stopping sends SIGTERM, waits up to 5 s, then kills. Every child is
/// remembered, so the harness can stop all of them when it exits for any reason.
/// </summary>
public sealed partial class ChildProcess : IAsyncDisposable
{
    private const int SigTerm = 15;
    private static readonly ConcurrentDictionary<int, ChildProcess> Running = new();

    private ChildProcess(string name, Process process)
    {
        Name = name;
        Process = process;
        Running[process.Id] = this;
    }

    public string Name { get; }

    public Process Process { get; }

    public int Pid => Process.Id;

    public bool HasExited => Process.HasExited;

    public static ChildProcess Start(string name, ProcessStartInfo info)
    {
        info.UseShellExecute = false;
        Process process = Process.Start(info) ?? throw new InvalidOperationException($"{name} did not start ({info.FileName}).");
        return new ChildProcess(name, process);
    }

    /// <summary>Stops every child still running (SIGKILL; used when the harness itself is ending).</summary>
    public static void KillAll()
    {
        foreach (ChildProcess child in Running.Values)
        {
            try
            {
                child.Process.Kill(entireProcessTree: true);
            }
            catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Already gone.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!Process.HasExited)
            {
                _ = Kill(Process.Id, SigTerm);
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try
                {
                    await Process.WaitForExitAsync(grace.Token);
                }
                catch (OperationCanceledException)
                {
                    Process.Kill(entireProcessTree: true);
                    await Process.WaitForExitAsync();
                }
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }
        finally
        {
            Running.TryRemove(Process.Id, out _);
            Process.Dispose();
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
