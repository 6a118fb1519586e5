using System.Diagnostics;
using System.Globalization;
using System.Text;
using AkkaProxy.LoadHarness.Results;

namespace AkkaProxy.LoadHarness.Report;

/// <summary>
/// Renders the conversation benchmark's chart with gnuplot: the median time to first event of each
/// turn of the conversation, one line per transport.
/// </summary>
public static class ConversationChart
{
    public static async Task RenderAsync(IReadOnlyList<ConversationFigures> transports, string pngPath, string workDir)
    {
        if (transports.Count == 0 || transports[0].TurnCount == 0)
        {
            return;
        }

        string data = Path.Combine(workDir, "conversation.dat");
        var rows = new StringBuilder();
        for (int turn = 0; turn < transports[0].TurnCount; turn++)
        {
            rows.AppendLine(CultureInfo.InvariantCulture, $"{turn + 1} {string.Join(' ', transports.Select(t => t.MedianMs(turn).ToString("0.00", CultureInfo.InvariantCulture)))}");
        }

        await File.WriteAllTextAsync(data, rows.ToString());
        var script = new StringBuilder();
        script.AppendLine("set terminal pngcairo size 1100,520 font 'sans,11'");
        script.AppendLine(CultureInfo.InvariantCulture, $"set output '{pngPath}'");
        script.AppendLine("set title 'A 10-turn tool-calling conversation through the relay: median time to first event per turn' font 'sans,13'");
        script.AppendLine("set xlabel 'turn'");
        script.AppendLine("set ylabel 'time to first event (ms)'");
        script.AppendLine("set grid");
        script.AppendLine("set key right center");
        script.AppendLine("set yrange [0:*]");
        script.AppendLine(CultureInfo.InvariantCulture, $"set xtics 1");
        string[] colours = ["#2e7d32", "#ef6c00", "#1565c0"];
        script.AppendLine("plot " + string.Join(", ", transports.Select((t, i) =>
            $"'{data}' using 1:{i + 2} title '{t.Transport}' with linespoints lw 2 pt 7 lc rgb '{colours[i % colours.Length]}'")));
        string scriptPath = Path.Combine(workDir, "conversation.gp");
        await File.WriteAllTextAsync(scriptPath, script.ToString());
        try
        {
            using Process process = Process.Start(new ProcessStartInfo("gnuplot", [scriptPath]) { RedirectStandardError = true, UseShellExecute = false })!;
            string errors = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0)
            {
                Console.Error.WriteLine($"gnuplot failed ({process.ExitCode}): {errors}");
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine("gnuplot is not installed (scripts/bench.sh installs gnuplot-nox): no conversation chart.");
        }
    }
}
