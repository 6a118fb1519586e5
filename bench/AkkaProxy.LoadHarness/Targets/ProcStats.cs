using System.Globalization;
using System.Runtime.InteropServices;

namespace AkkaProxy.LoadHarness.Targets;

/// <summary>
/// Per-process figures from Linux's /proc: CPU time (utime + stime of <c>/proc/PID/stat</c>), resident
/// and peak resident memory (<c>VmRSS</c>, <c>VmHWM</c> of <c>/proc/PID/status</c>), and the reset of
/// the peak (<c>echo 5 &gt; /proc/PID/clear_refs</c>), so a peak can be taken per scenario.
/// </summary>
public static partial class ProcStats
{
    private const int ScClockTicks = 2;

    private static readonly double TicksPerSecond = ReadTicksPerSecond();

    /// <summary>User + system CPU seconds the process has used so far; 0 if it is gone.</summary>
    public static double CpuSeconds(int pid)
    {
        string? stat = TryRead($"/proc/{pid}/stat");
        if (stat is null)
        {
            return 0;
        }

        // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        long utime = long.Parse(fields[11], CultureInfo.InvariantCulture);
        long stime = long.Parse(fields[12], CultureInfo.InvariantCulture);
        return (utime + stime) / TicksPerSecond;
    }

    /// <summary>
    /// CPU seconds the whole machine has been busy so far (every CPU; user, nice, system, irq, softirq,
    /// steal from the first line of <c>/proc/stat</c>): the harness subtracts its own processes to see
    /// what else ran during a measurement.
    /// </summary>
    public static double MachineBusySeconds()
    {
        string? stat = TryRead("/proc/stat");
        if (stat is null)
        {
            return double.NaN;
        }

        string[] fields = stat[..stat.IndexOf('\n', StringComparison.Ordinal)].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long busy = 0;
        foreach (int i in new[] { 1, 2, 3, 6, 7, 8 })
        {
            busy += long.Parse(fields[i], CultureInfo.InvariantCulture);
        }

        return busy / TicksPerSecond;
    }

    /// <summary>Resident memory now, in KiB (0 if the process is gone).</summary>
    public static long RssKiB(int pid) => StatusKiB(pid, "VmRSS:");

    /// <summary>Peak resident memory since start or the last <see cref="ResetPeak"/>, in KiB.</summary>
    public static long PeakRssKiB(int pid) => StatusKiB(pid, "VmHWM:");

    /// <summary>Resets the peak to the current resident size (needs to own the process, or root).</summary>
    public static bool ResetPeak(int pid)
    {
        try
        {
            File.WriteAllText($"/proc/{pid}/clear_refs", "5");
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The direct children of a process (nginx's workers under its master).</summary>
    public static IReadOnlyList<int> Children(int pid)
    {
        var children = new List<int>();
        string tasks = $"/proc/{pid}/task";
        if (!Directory.Exists(tasks))
        {
            return children;
        }

        foreach (string task in Directory.EnumerateDirectories(tasks))
        {
            string? text = TryRead(Path.Combine(task, "children"));
            if (text is null)
            {
                continue;
            }

            foreach (string id in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                children.Add(int.Parse(id, CultureInfo.InvariantCulture));
            }
        }

        return children;
    }

    /// <summary>The soft limit on open files of this process.</summary>
    public static long OpenFilesLimit()
    {
        string? limits = TryRead("/proc/self/limits");
        string? line = limits?.Split('\n').FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        string[]? parts = line?["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts is { Length: > 0 } && long.TryParse(parts[0], CultureInfo.InvariantCulture, out long soft) ? soft : -1;
    }

    private static long StatusKiB(int pid, string key)
    {
        string? status = TryRead($"/proc/{pid}/status");
        string? line = status?.Split('\n').FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
        if (line is null)
        {
            return 0;
        }

        string[] parts = line[key.Length..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(parts[0], CultureInfo.InvariantCulture);
    }

    private static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static double ReadTicksPerSecond()
    {
        long ticks = SysConf(ScClockTicks);
        return ticks > 0 ? ticks : 100;
    }

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SysConf(int name);
}
