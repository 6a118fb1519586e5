using System.Diagnostics;
using System.Globalization;
using System.Text;
using AkkaProxy.LoadHarness.Load;
using AkkaProxy.LoadHarness.Results;
using AkkaProxy.LoadHarness.Targets;

namespace AkkaProxy.LoadHarness.Report;

/// <summary>
/// Renders docs/benchmarks.png with gnuplot (Debian's <c>gnuplot-nox</c>): grouped bars of req/s
/// (WebSocket: turns/s) per scenario for every target that ran (direct, nginx, yarp, relay-before,
/// relay), one panel per concurrency, log scale, with relay/nginx written above each relay bar.
/// </summary>
public static class ChartRenderer
{
    private static readonly Dictionary<string, string> Colours = new()
    {
        [Target.Direct] = "#9e9e9e",
        [Target.Nginx] = "#2e7d32",
        [Target.Yarp] = "#ef6c00",
        [Target.RelayBefore] = "#90caf9",
        [Target.Relay] = "#1565c0",
    };

    public static async Task RenderAsync(HarnessResults results, string pngPath, string workDir)
    {
        int[] levels = [.. results.Runs.Select(r => r.Concurrency).Distinct().Order()];
        string[] targets = [.. Target.All.Where(t => results.Runs.Any(r => r.Target == t))];
        if (levels.Length == 0 || !targets.Contains(Target.Relay))
        {
            return;
        }

        var script = new StringBuilder();
        script.AppendLine(CultureInfo.InvariantCulture, $"set terminal pngcairo size 1400,{420 * levels.Length + 60} font 'sans,11'");
        script.AppendLine(CultureInfo.InvariantCulture, $"set output '{pngPath}'");
        script.AppendLine(CultureInfo.InvariantCulture, $"set multiplot layout {levels.Length},1 title 'AkkaProxy end-to-end, {results.StartedAt:yyyy-MM-dd}: requests (WebSocket: turns) per second, log scale; label = relay ÷ nginx' font 'sans,13'");
        script.AppendLine("set style data histograms");
        script.AppendLine("set style histogram clustered gap 1");
        script.AppendLine("set style fill solid 0.85 border -1");
        script.AppendLine("set boxwidth 0.9");
        script.AppendLine("set logscale y");
        script.AppendLine("set grid ytics");
        script.AppendLine("set ylabel 'req/s'");
        script.AppendLine("set key top right");
        script.AppendLine("set xtics nomirror");
        foreach (int concurrency in levels)
        {
            string data = Path.Combine(workDir, $"chart-c{concurrency}.dat");
            var rows = new StringBuilder();
            double max = 0;
            int count = 0;
            foreach (string scenario in Scenarios.All.Select(s => s.Name).Where(n => results.Runs.Any(r => r.Scenario == n && r.Concurrency == concurrency)))
            {
                double[] perSecond = [.. targets.Select(t => results.Find(scenario, concurrency, t)?.Load.PerSecond ?? double.NaN)];
                max = perSecond.Append(max).Where(double.IsFinite).Max();
                string label = Fmt.X(TargetChecks.PerSecondRatio(results, scenario, concurrency, Target.Nginx));
                rows.AppendLine(CultureInfo.InvariantCulture, $"{scenario} {string.Join(' ', perSecond.Select(Num))} {label}");
                count++;
            }

            await File.WriteAllTextAsync(data, rows.ToString());
            script.AppendLine(CultureInfo.InvariantCulture, $"set title 'c = {concurrency}'");
            script.AppendLine(CultureInfo.InvariantCulture, $"set xrange [-0.6:{count - 0.4}]");
            script.AppendLine(CultureInfo.InvariantCulture, $"set yrange [100:{Math.Max(1000, max * 3).ToString("0", CultureInfo.InvariantCulture)}]");

            // Clustered bars: with n bars and a gap of 1, bar i sits (i - (n - 1) / 2) / (n + 1) from the cluster's centre.
            var plots = targets.Select((t, i) => $"'{(i == 0 ? data : "")}' using {i + 2}{(i == 0 ? ":xtic(1)" : "")} title '{t}' lc rgb '{Colours[t]}'").ToList();
            int relay = Array.IndexOf(targets, Target.Relay);
            double offset = (relay - (targets.Length - 1) / 2.0) / (targets.Length + 1);
            plots.Add(string.Create(CultureInfo.InvariantCulture, $"'' using ($0+{offset:0.000}):(${relay + 2}*1.25):{targets.Length + 2} with labels notitle font 'sans,10'"));
            script.AppendLine("plot " + string.Join(", ", plots));
        }

        script.AppendLine("unset multiplot");
        string scriptPath = Path.Combine(workDir, "chart.gp");
        await File.WriteAllTextAsync(scriptPath, script.ToString());
        try
        {
            var info = new ProcessStartInfo("gnuplot", [scriptPath]) { RedirectStandardError = true, UseShellExecute = false };
            using Process process = Process.Start(info)!;
            string errors = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0)
            {
                Console.Error.WriteLine($"gnuplot failed ({process.ExitCode}): {errors}");
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine("gnuplot is not installed (scripts/bench.sh installs gnuplot-nox): no chart.");
        }
    }

    private static string Num(double value) => double.IsFinite(value) ? value.ToString("0.0", CultureInfo.InvariantCulture) : "NaN";
}
