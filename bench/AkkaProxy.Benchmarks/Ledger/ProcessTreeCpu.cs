using System.Globalization;

namespace AkkaProxy.Benchmarks.Ledger;

/// <summary>
/// CPU time of a process and its children, from Linux's <c>/proc</c>: the PostgreSQL server's
/// postmaster (its own time, and its children's that have exited, <c>cutime</c>/<c>cstime</c>) plus
/// its live children (the backends, the WAL writer, the checkpointer). Read before and after a run,
/// the difference is what the server spent on it.
/// </summary>
internal static class ProcessTreeCpu
{
    /// <summary>The unit of <c>/proc/[pid]/stat</c>'s times (USER_HZ, 100 on Linux).</summary>
    private const double TicksPerSecond = 100;

    /// <summary>The tree's CPU time so far, or null when <paramref name="pid"/> cannot be read.</summary>
    public static TimeSpan? Of(int pid)
    {
        if (Stat(pid) is not { } root)
        {
            return null;
        }

        long ticks = root.Own + root.Children;
        foreach (string directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out int child)
                && child != pid && Stat(child) is { } stat && stat.Parent == pid)
            {
                ticks += stat.Own;
            }
        }

        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }

    private static (int Parent, long Own, long Children)? Stat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null; // gone meanwhile
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // "pid (comm) state ppid ...": comm may hold spaces, so fields are counted after its ')'.
        string[] fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        long Field(int number) => long.Parse(fields[number - 3], CultureInfo.InvariantCulture); // field 3 is fields[0]
        return ((int)Field(4), Field(14) + Field(15), Field(16) + Field(17));
    }
}
