using System.Globalization;
using System.Text;
using AkkaProxy.LoadHarness.Load;
using AkkaProxy.LoadHarness.Results;
using AkkaProxy.LoadHarness.Targets;

namespace AkkaProxy.LoadHarness.Report;

/// <summary>
/// Writes the run into docs/benchmarks.md: replaces the section from <see cref="Heading"/> to the next
/// level-2 heading (or the end), and leaves every other section (the micro-benchmarks, the hand-written
/// analysis) as it is.
/// </summary>
public static class MarkdownReport
{
    public const string Heading = "## End-to-end load harness";

    public static async Task WriteAsync(HarnessResults results, string path, string chartRelativePath)
    {
        string existing = File.Exists(path) ? await File.ReadAllTextAsync(path) : "# Benchmarks\n";
        string section = Render(results, chartRelativePath);
        int start = existing.IndexOf(Heading + "\n", StringComparison.Ordinal);
        string updated;
        if (start < 0)
        {
            updated = existing.TrimEnd() + "\n\n" + section;
        }
        else
        {
            int next = existing.IndexOf("\n## ", start + Heading.Length, StringComparison.Ordinal);
            updated = existing[..start] + section + (next < 0 ? "" : existing[(next + 1)..]);
        }

        await File.WriteAllTextAsync(path, updated);
    }

    public static string Render(HarnessResults results, string chartRelativePath)
    {
        var md = new StringBuilder();
        HarnessOptions options = results.Options;
        md.AppendLine(Heading).AppendLine();
        md.AppendLine("<!-- Written by bench/AkkaProxy.LoadHarness (./scripts/bench.sh). Everything from this heading to the next level-2 heading is replaced by each run: put hand-written notes in another section. -->").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Run on {results.StartedAt:yyyy-MM-dd HH:mm} UTC, commit `{results.Commit}`; the measurements took {(results.FinishedAt - results.StartedAt).TotalMinutes:0.0} min. All figures and ratios below come from this one run.").AppendLine();

        WhatRuns(md, options);
        Machine(md, results);
        Targets(md, results);
        foreach (int concurrency in results.Runs.Select(r => r.Concurrency).Distinct().Order())
        {
            Figures(md, results, concurrency);
            RatioTable(md, results, concurrency);
        }

        WebSockets(md, results);
        Logging(md, results);
        md.AppendLine("### Chart").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"![Requests (WebSocket: turns) per second per scenario, direct / nginx / relay, at c=1 and c=32; the label on each relay bar is relay/nginx]({chartRelativePath})").AppendLine();
        md.AppendLine("Log scale. Rendered by gnuplot from this run's figures.").AppendLine();
        return md.ToString();
    }

    private static void WhatRuns(StringBuilder md, HarnessOptions options)
    {
        md.AppendLine("### What runs").AppendLine();
        md.AppendLine("Four processes on one machine, all on 127.0.0.1, each scenario driven against the three targets back to back (which target goes first rotates):").AppendLine();
        md.AppendLine("* **fake upstream**: `AkkaProxy.LoadHarness fake`, Kestrel, a process of its own. It speaks the wire formats of [protocol-notes.md](protocol-notes.md) from bytes rendered once: Chat SSE (honouring `stream_options.include_usage`: usage-only chunk, then `data: [DONE]`), Responses SSE (`event:`/`data:` lines, `response.completed` with usage), non-streaming JSON, and the Responses WebSocket endpoint (`GET /v1/responses`: one JSON event per text message, a whole Responses event sequence per `response.create`). SSE is written **one event per write, each flushed**, as a provider streams tokens; the shapes are the micro-benchmarks' (≈230 B Responses deltas, ≈300 B Chat chunks, full usage).");
        md.AppendLine("* **direct**: the client talks to the fake itself; the baseline with no middle process.");
        md.AppendLine("* **nginx**: the raw passthrough. `proxy_buffering off`, `proxy_request_buffering off`, `proxy_http_version 1.1`, `proxy_set_header Connection \"\"`, an `upstream` block with `keepalive 64`, the WebSocket upgrade headers on `/v1/responses`, `worker_processes auto`, access log off. It parses nothing.");
        md.AppendLine("* **relay**: AkkaProxy's host from the Release build, `dotnet src/Host/bin/Release/net10.0/AkkaProxy.Host.dll --urls http://127.0.0.1:PORT`, with `AKKAPROXY_CONFIG` naming a HOCON file that adds the provider `fake { kind = openai, base-url = \"http://127.0.0.1:PORT/v1\", api-key = \"sk-fake\" }` and sets `Logging.LogLevel.Default = Warning`; open (no relay keys). Clients send `fake/<model>`; the relay routes on the prefix and strips it; nginx and the direct path get the bare model. It parses every event (usage tap), rewrites the request and bills every request.");
        md.AppendLine("* **load generator**: the harness process itself, .NET `SocketsHttpHandler` (HTTP/1.1 keep-alive, one pool per target) and `ClientWebSocket`. Closed loop: *c* workers issue requests back to back; each body is read to its end and must have exactly the upstream's byte count (WebSocket: exactly the turn's event count), or it counts as an error. Per request: latency (send to last byte) and TTFB (send to first body byte; WebSocket: to the first event).");
        md.AppendLine(CultureInfo.InvariantCulture, $"* **per run**: {options.Warmup.TotalSeconds:0.#} s warm-up, then {options.Duration.TotalSeconds:0.#} s measured. req/s = requests completed in the measured window / its length; p50/p99 nearest-rank over every request in it. A WebSocket \"request\" is a turn: send `response.create`, read until `response.completed`.");
        md.AppendLine("* **CPU and memory**: `/proc/PID/stat` utime+stime of the middle process (nginx: master + workers) over the measured window only; peak RSS is `VmHWM` after resetting it (`/proc/PID/clear_refs`) at the window's start, so both are **per scenario**. The direct path has no middle process, so CPU and RSS have no ratio to direct.");
        md.AppendLine("* **added latency** = target p50 − direct p50; the ratio is relay-added / nginx-added.").AppendLine();
    }

    private static void Machine(StringBuilder md, HarnessResults results)
    {
        md.AppendLine("### Machine and command").AppendLine();
        md.AppendLine("| | |").AppendLine("|---|---|");
        foreach ((string name, string value) in results.Machine.Rows)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {value} |");
        }

        md.AppendLine();
        md.AppendLine("```").AppendLine("./scripts/bench.sh").AppendLine("```").AppendLine();
        string args = results.Options.CommandLine.Count == 0 ? "" : " " + string.Join(' ', results.Options.CommandLine);
        md.AppendLine(CultureInfo.InvariantCulture, $"It builds Release, installs nginx and gnuplot from Debian's packages when missing, raises the open-files limit, then runs `dotnet bench/AkkaProxy.LoadHarness/bin/Release/net10.0/AkkaProxy.LoadHarness.dll{args}`. The machine is a shared 2-vCPU VM: client, fake and target compete for the same two cores, so only ratios within one run mean anything.").AppendLine();
    }

    private static void Targets(StringBuilder md, HarnessResults results)
    {
        md.AppendLine("### Targets").AppendLine();
        md.AppendLine("| target | this run | verdict |").AppendLine("|---|---|---|");
        foreach (TargetCheck check in TargetChecks.Evaluate(results))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {check.Target} | {check.Measured} | {check.Verdict} |");
        }

        md.AppendLine();
        md.AppendLine("Where a target is missed, the section *End-to-end: bottlenecks* below names the bottleneck.").AppendLine();
    }

    private static void Figures(StringBuilder md, HarnessResults results, int concurrency)
    {
        md.AppendLine(CultureInfo.InvariantCulture, $"### Figures at c = {concurrency}").AppendLine();
        md.AppendLine("| scenario | target | req/s | p50 ms | p99 ms | TTFB p50 ms | added p50 ms | CPU s | CPU µs/req | peak RSS MiB | errors | other load |");
        md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (string scenario in ScenarioNames(results, concurrency))
        {
            double directP50 = results.Find(scenario, concurrency, Target.Direct)?.Load.P50Ms ?? double.NaN;
            foreach (string target in new[] { Target.Direct, Target.Nginx, Target.Relay })
            {
                if (results.Find(scenario, concurrency, target) is not RunFigures run)
                {
                    continue;
                }

                LoadResult load = run.Load;
                string added = target == Target.Direct ? Fmt.None : Fmt.F(load.P50Ms - directP50, 3);
                string cpuPerRequest = run.Server.IsMeasured && load.Completed > 0 ? Fmt.F(run.Server.CpuSeconds * 1e6 / load.Completed, 0) : Fmt.None;
                string name = target == Target.Direct ? scenario : "";
                md.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {target} | {Fmt.N0(load.PerSecond)} | {Fmt.F(load.P50Ms, 3)} | {Fmt.F(load.P99Ms, 3)} | {Fmt.F(load.TtfbP50Ms, 3)} | {added} | {(run.Server.IsMeasured ? Fmt.F(run.Server.CpuSeconds, 2) : Fmt.None)} | {cpuPerRequest} | {(run.Server.IsMeasured ? Fmt.F(run.Server.PeakRssMiB, 1) : Fmt.None)} | {load.Errors} | {OtherLoad(run)} |");
            }
        }

        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"*other load*: the share of the machine's CPU time in the window used by anything but the middle process, the fake and the load generator (kernel network work charged to no process, and other programs); ⚠ marks more than {OtherLoadWarning:P0}, where another program probably competed.").AppendLine();
    }

    private const double OtherLoadWarning = 0.15;

    private static string OtherLoad(RunFigures run) =>
        !double.IsFinite(run.OtherShare) ? Fmt.None : (run.OtherShare > OtherLoadWarning ? "⚠ " : "") + Math.Max(0, run.OtherShare).ToString("P0", CultureInfo.InvariantCulture);

    private static void RatioTable(StringBuilder md, HarnessResults results, int concurrency)
    {
        md.AppendLine(CultureInfo.InvariantCulture, $"Ratios at c = {concurrency} (relay ÷ direct, relay ÷ nginx; for req/s higher is better, for the others lower is better):").AppendLine();
        md.AppendLine("| scenario | req/s ÷direct | req/s ÷nginx | p50 ÷direct | p50 ÷nginx | p99 ÷direct | p99 ÷nginx | TTFB ÷direct | TTFB ÷nginx | added p50 relay ÷ nginx | CPU ÷nginx | peak RSS ÷nginx |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (string scenario in ScenarioNames(results, concurrency))
        {
            RunFigures? d = results.Find(scenario, concurrency, Target.Direct);
            RunFigures? n = results.Find(scenario, concurrency, Target.Nginx);
            RunFigures? r = results.Find(scenario, concurrency, Target.Relay);
            if (r is null)
            {
                continue;
            }

            string Of(Func<LoadResult, double> figure, RunFigures? baseline) => Fmt.X(Fmt.Ratio(figure(r.Load), baseline is null ? double.NaN : figure(baseline.Load)));
            string cpu = n is not null && r.Server.IsMeasured && n.Server.IsMeasured ? Fmt.X(Fmt.Ratio(r.Server.CpuSeconds / Math.Max(1, r.Load.Completed), n.Server.CpuSeconds / Math.Max(1, n.Load.Completed))) : Fmt.None;
            string rss = n is not null && r.Server.IsMeasured && n.Server.IsMeasured ? Fmt.X(Fmt.Ratio(r.Server.PeakRssMiB, n.Server.PeakRssMiB)) : Fmt.None;
            md.AppendLine(CultureInfo.InvariantCulture, $"| {scenario} | {Of(l => l.PerSecond, d)} | {Of(l => l.PerSecond, n)} | {Of(l => l.P50Ms, d)} | {Of(l => l.P50Ms, n)} | {Of(l => l.P99Ms, d)} | {Of(l => l.P99Ms, n)} | {Of(l => l.TtfbP50Ms, d)} | {Of(l => l.TtfbP50Ms, n)} | {Fmt.X(TargetChecks.AddedRatio(results, scenario, concurrency))} | {cpu} | {rss} |");
        }

        md.AppendLine();
        md.AppendLine("CPU ÷nginx compares CPU time per request. WebSocket rows count turns as requests; events/s = turns/s × events per turn.").AppendLine();
    }

    private static void WebSockets(StringBuilder md, HarnessResults results)
    {
        if (results.OneSocket.Count == 0 && results.ManySockets.Count == 0 && results.IdleSockets.Count == 0)
        {
            return;
        }

        md.AppendLine("### WebSocket").AppendLine();
        if (results.OneSocket.Count > 0)
        {
            int events = results.OneSocket.Max(o => o.Events);
            md.AppendLine(CultureInfo.InvariantCulture, $"**One socket, one turn of {events:N0} events** (after the same turn once as a warm-up); events/s = events / (send of `response.create` → `response.completed`):").AppendLine();
            md.AppendLine("| target | seconds | events/s | ÷direct | middle CPU s | error |").AppendLine("|---|---:|---:|---:|---:|---|");
            double direct = results.OneSocket.FirstOrDefault(o => o.Target == Target.Direct)?.EventsPerSecond ?? double.NaN;
            foreach (OneSocketFigures one in results.OneSocket)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"| {one.Target} | {Fmt.F(one.Seconds, 3)} | {Fmt.N0(one.EventsPerSecond)} | {Fmt.X(Fmt.Ratio(one.EventsPerSecond, direct))} | {(one.Target == Target.Direct ? Fmt.None : Fmt.F(one.ServerCpuSeconds, 2))} | {one.Error ?? ""} |");
            }

            md.AppendLine();
        }

        if (results.ManySockets.Count > 0)
        {
            ManySocketsFigures first = results.ManySockets[0];
            md.AppendLine(CultureInfo.InvariantCulture, $"**{first.Sockets:N0} concurrent sockets**, opened before the clock starts, each running {first.EventsPerTurn}-event turns back to back ({results.Options.Warmup.TotalSeconds:0.#} s warm-up, {results.Options.Duration.TotalSeconds:0.#} s measured):").AppendLine();
            md.AppendLine("| target | sockets open | events/s | ÷direct | ÷nginx | turns/s | turn p50 ms | turn p99 ms | middle CPU s | middle peak RSS MiB | fake CPU s | client CPU s | errors |");
            md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            double direct = results.ManySockets.FirstOrDefault(m => m.Target == Target.Direct)?.Load.EventsPerSecond ?? double.NaN;
            double nginx = results.ManySockets.FirstOrDefault(m => m.Target == Target.Nginx)?.Load.EventsPerSecond ?? double.NaN;
            foreach (ManySocketsFigures many in results.ManySockets)
            {
                LoadResult load = many.Load;
                md.AppendLine(CultureInfo.InvariantCulture, $"| {many.Target} | {many.Opened:N0} | {Fmt.N0(load.EventsPerSecond)} | {Fmt.X(Fmt.Ratio(load.EventsPerSecond, direct))} | {Fmt.X(Fmt.Ratio(load.EventsPerSecond, nginx))} | {Fmt.N0(load.PerSecond)} | {Fmt.F(load.P50Ms, 1)} | {Fmt.F(load.P99Ms, 1)} | {(many.Server.IsMeasured ? Fmt.F(many.Server.CpuSeconds, 2) : Fmt.None)} | {(many.Server.IsMeasured ? Fmt.F(many.Server.PeakRssMiB, 1) : Fmt.None)} | {Fmt.F(many.Fake.CpuSeconds, 2)} | {Fmt.F(many.Client.CpuSeconds, 2)} | {load.Errors} |");
            }

            md.AppendLine();
            md.AppendLine("With this many sockets the load generator and the fake are busy too (their CPU columns): the three targets share two cores with them.").AppendLine();
        }

        if (results.Idle(Target.Relay) is IdleSocketFigures idle)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"**Memory per idle socket**, on a fresh relay (so the earlier load has not already grown its heap): RSS after a warm-up of 16 sockets × 3 turns, then with {idle.Opened:N0} client sockets open, each after one 20-event turn (so each also holds its upstream socket). Before each reading the harness induces a full GC in the relay over EventPipe (the `GCHeapCollect` keyword, as `dotnet-gcdump` does) and waits {idle.SettleSeconds:0} s.").AppendLine();
            md.AppendLine("| | before | with the sockets open | per socket | after closing them |").AppendLine("|---|---:|---:|---:|---:|");
            md.AppendLine(CultureInfo.InvariantCulture, $"| relay RSS | {Fmt.F(idle.RssBeforeMiB, 1)} MiB | {Fmt.F(idle.RssAfterMiB, 1)} MiB | **{Fmt.F(idle.PerSocketKiB, 1)} KiB** | {Fmt.F(idle.RssAfterCloseMiB, 1)} MiB |");
            string heapBefore = idle.HeapBefore is long hb ? Fmt.F(hb / 1048576.0, 1) + " MiB" : Fmt.None;
            string heapAfter = idle.HeapAfter is long ha ? Fmt.F(ha / 1048576.0, 1) + " MiB" : Fmt.None;
            string heapPer = idle.HeapPerSocketKiB is double hp ? Fmt.F(hp, 1) + " KiB" : Fmt.None;
            md.AppendLine(CultureInfo.InvariantCulture, $"| relay managed heap after full GC | {heapBefore} | {heapAfter} | {heapPer} | |");
            md.AppendLine(CultureInfo.InvariantCulture, $"| relay RSS, second round (the same again on the same relay) | {Fmt.F(idle.RssAfterCloseMiB, 1)} MiB | {Fmt.F(idle.SecondRssAfterMiB, 1)} MiB | **{Fmt.F(idle.SecondPerSocketKiB, 1)} KiB** | |");
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"Turns that completed on the {idle.Opened:N0} sockets: {idle.TurnsOk:N0}. The first round's RSS delta also holds what the runtime keeps after serving {idle.Opened:N0} turns at once (Kestrel's pinned block pool, `ArrayPool` buckets, GC-committed space): it does not fall back when the sockets close. The second round opens as many sockets again on the same relay, whose pools have already grown, so its delta leaves the pools out; it may also reuse heap space the first round left committed, so it is a lower bound. The managed-heap row (live objects after a full GC) is the per-socket state itself.").AppendLine();
        }
    }

    private static void Logging(StringBuilder md, HarnessResults results)
    {
        if (results.Logging is not LoggingFigures logging)
        {
            return;
        }

        md.AppendLine("### Relay at `Logging.LogLevel.Default = Information`").AppendLine();
        md.AppendLine("The relay's embedded default is Information, which writes one billing line per request to the console (here redirected to a file). chat-sse-20 at c=32, back to back against the relay above (Warning) and a second relay at Information:").AppendLine();
        md.AppendLine("| log level | req/s | p50 ms | p99 ms | CPU µs/req |").AppendLine("|---|---:|---:|---:|---:|");
        foreach ((string level, RunFigures run) in new[] { ("Warning", logging.Warning), ("Information", logging.Information) })
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {level} | {Fmt.N0(run.Load.PerSecond)} | {Fmt.F(run.Load.P50Ms, 3)} | {Fmt.F(run.Load.P99Ms, 3)} | {Fmt.F(run.Server.CpuSeconds * 1e6 / Math.Max(1, run.Load.Completed), 0)} |");
        }

        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Information ÷ Warning req/s: {Fmt.X(Fmt.Ratio(logging.Information.Load.PerSecond, logging.Warning.Load.PerSecond))}; the Information relay wrote {logging.InformationLogBytes / 1048576.0:0.0} MiB of log.").AppendLine();
    }

    private static IEnumerable<string> ScenarioNames(HarnessResults results, int concurrency) =>
        Scenarios.All.Select(s => s.Name).Where(n => results.Runs.Any(r => r.Scenario == n && r.Concurrency == concurrency));
}
