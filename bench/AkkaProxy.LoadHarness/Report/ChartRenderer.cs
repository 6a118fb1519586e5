using System.Diagnostics;
using System.Globalization;
using System.Text;
using AkkaProxy.LoadHarness.Load;
using AkkaProxy.LoadHarness.Results;
using AkkaProxy.LoadHarness.Targets;

namespace AkkaProxy.LoadHarness.Report;

/// <summary>
/// Renders docs/benchmarks.png with gnuplot (Debian's <c>gnuplot-nox</c>): grouped bars of req/s
/// (WebSocket: turns/s) per scenario for direct, nginx and relay, one panel per concurrency, log
/// scale, with relay/nginx written above each relay bar.
/// </summary>
public static class ChartRenderer
{
    public static async Task RenderAsync(HarnessResults results, string pngPath, string workDir)
    {
        int[] levels = [.. results.Runs.Select(r => r.Concurrency).Distinct().Order()];
        if (levels.Length == 0)
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
                double d = results.Find(scenario, concurrency, Target.Direct)?.Load.PerSecond ?? double.NaN;
                double n = results.Find(scenario, concurrency, Target.Nginx)?.Load.PerSecond ?? double.NaN;
                double r = results.Find(scenario, concurrency, Target.Relay)?.Load.PerSecond ?? double.NaN;
                max = new[] { max, d, n, r }.Where(double.IsFinite).Max();
                rows.AppendLine(CultureInfo.InvariantCulture, $"{scenario} {Num(d)} {Num(n)} {Num(r)} {Fmt.X(Fmt.Ratio(r, n))}");
                count++;
            }

            await File.WriteAllTextAsync(data, rows.ToString());
            script.AppendLine(CultureInfo.InvariantCulture, $"set title 'c = {concurrency}'");
            script.AppendLine(CultureInfo.InvariantCulture, $"set xrange [-0.6:{count - 0.4}]");
            script.AppendLine(CultureInfo.InvariantCulture, $"set yrange [100:{Math.Max(1000, max * 3).ToString("0", CultureInfo.InvariantCulture)}]");
            script.AppendLine(CultureInfo.InvariantCulture,
                $"plot '{data}' using 2:xtic(1) title 'direct' lc rgb '#9e9e9e', '' using 3 title 'nginx' lc rgb '#2e7d32', '' using 4 title 'relay' lc rgb '#1565c0', '' using ($0+0.27):($4*1.25):5 with labels notitle font 'sans,10'");
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
