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

        WhatRuns(md, results);
        Machine(md, results);
        Targets(md, results);
        foreach (int concurrency in results.Runs.Select(r => r.Concurrency).Distinct().Order())
        {
            Figures(md, results, concurrency);
            RatioTable(md, results, concurrency);
        }

        AgainstEarlierBuild(md, results);
        WebSockets(md, results);
        Logging(md, results);
        ServiceCosts(md, results);
        Conversation(md, results);
        ClusterConversation(md, results);
        md.AppendLine("### Chart").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"![Requests (WebSocket: turns) per second per scenario, one bar per target, at c=1 and c=32; the label on each relay bar is relay/nginx]({chartRelativePath})").AppendLine();
        md.AppendLine("Log scale. Rendered by gnuplot from this run's figures.").AppendLine();
        return md.ToString();
    }

    private static void WhatRuns(StringBuilder md, HarnessResults results)
    {
        HarnessOptions options = results.Options;
        md.AppendLine("### What runs").AppendLine();
        md.AppendLine("One machine, all on 127.0.0.1, each scenario driven against every target back to back (which target goes first rotates); every middle process is a process of its own:").AppendLine();
        md.AppendLine("* **fake upstream**: `AkkaProxy.LoadHarness fake`, Kestrel, a process of its own. It speaks the wire formats of [protocol-notes.md](protocol-notes.md) from bytes rendered once: Chat SSE (honouring `stream_options.include_usage`: usage-only chunk, then `data: [DONE]`), Responses SSE (`event:`/`data:` lines, `response.completed` with usage), non-streaming JSON, and the Responses WebSocket endpoint (`GET /v1/responses`: one JSON event per text message, a whole Responses event sequence per `response.create`). SSE is written **one event per write, each flushed**, as a provider streams tokens; the shapes are the micro-benchmarks' (≈230 B Responses deltas, ≈300 B Chat chunks, full usage).");
        md.AppendLine("* **direct**: the client talks to the fake itself; the baseline with no middle process.");
        md.AppendLine("* **nginx**: a raw passthrough. `proxy_buffering off`, `proxy_request_buffering off`, `proxy_http_version 1.1`, `proxy_set_header Connection \"\"`, an `upstream` block with `keepalive 64`, the WebSocket upgrade headers on `/v1/responses`, `worker_processes auto`, access log off. It parses nothing.");
        md.AppendLine("* **yarp**: the raw passthrough a .NET team would pick, YARP (`Yarp.ReverseProxy` 2.3.0) in `bench/AkkaProxy.YarpTarget`, `dotnet bench/AkkaProxy.YarpTarget/bin/Release/net10.0/AkkaProxy.YarpTarget.dll --urls http://127.0.0.1:PORT --upstream http://127.0.0.1:PORT`: one route for every path to one destination, HTTP/1.1 to the upstream on YARP's pooled keep-alive connections, `AllowResponseBuffering = false` (SSE streams event by event), WebSocket upgrades passed through, the default `X-Forwarded-*` headers off (nginx adds none either), no other transform, logging at Warning, server GC as the relay. It parses nothing.");
        md.AppendLine("* **relay**: AkkaProxy's host from the Release build, `dotnet src/Host/bin/Release/net10.0/AkkaProxy.Host.dll --urls http://127.0.0.1:PORT`, with `AKKAPROXY_CONFIG` naming a HOCON file that adds the provider `fake { kind = openai, base-url = \"http://127.0.0.1:PORT/v1\", api-key = \"sk-fake\" }` and sets `Logging.LogLevel.Default = Warning`; open (no relay keys). Clients send `fake/<model>`; the relay routes on the prefix and strips it; nginx, YARP and the direct path get the bare model. It parses every event (usage tap), rewrites the request and bills every request.");
        if (results.Baseline is BaselineFacts baseline)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"* **relay-before**: the relay as it was at {Named(baseline)}: the harness checks that commit out in a temporary `git worktree`, builds its `src/Host` Release there (its own bin/ and obj/), runs it exactly as the relay (same HOCON, same flags) and removes the worktree afterwards. Relay ÷ relay-before is the change between the two builds, measured in the same run.");
        }

        md.AppendLine("* **load generator**: the harness process itself, .NET `SocketsHttpHandler` (HTTP/1.1 keep-alive, one pool per target) and `ClientWebSocket`. Closed loop: *c* workers issue requests back to back; each body is read to its end and must have exactly the upstream's byte count (WebSocket: exactly the turn's event count), or it counts as an error. Per request: latency (send to last byte) and TTFB (send to first body byte; WebSocket: to the first event).");
        md.AppendLine("* **chat-sse-20-close**: chat-sse-20 from a client without keep-alive: every request carries `Connection: close`, so each opens a new TCP connection to the target and the target closes it after the response; the client's connect is inside the latency. What per-connection setup costs each target is in this row, not hidden behind pooled connections. (Each proxy keeps its own upstream connections pooled.)");
        md.AppendLine(CultureInfo.InvariantCulture, $"* **per run**: {options.Warmup.TotalSeconds:0.#} s warm-up, then {options.Duration.TotalSeconds:0.#} s measured. req/s = requests completed in the measured window / its length; p50/p99 nearest-rank over every request in it. A WebSocket \"request\" is a turn: send `response.create`, read until `response.completed`.");
        md.AppendLine("* **CPU and memory**: `/proc/PID/stat` utime+stime of the middle process (nginx: master + workers) over the measured window only; peak RSS is `VmHWM` after resetting it (`/proc/PID/clear_refs`) at the window's start, so both are **per scenario**. The direct path has no middle process, so CPU and RSS have no ratio to direct.");
        md.AppendLine("* **allocation per request** (the .NET middle processes: yarp, relay-before, relay): bytes the process allocated in the measured window ÷ the requests completed in it. The harness opens an EventPipe session on the process for the window (the runtime's GC keyword at Verbose level) and sums its `GCAllocationTick` events, one each time a GC heap's allocations pass about 100 KB: exact to within about 100 KB per heap over the window, a few bytes per request. The session costs each .NET target the same small amount (one event per 100 KB, the GC's events).");
        md.AppendLine("* **added latency** = target p50 − direct p50; the ratio is relay-added / nginx-added (or YARP-added).").AppendLine();
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
        md.AppendLine(CultureInfo.InvariantCulture, $"It builds Release (the relay and the YARP target), installs nginx and gnuplot from Debian's packages when missing, raises the open-files limit, then runs `dotnet bench/AkkaProxy.LoadHarness/bin/Release/net10.0/AkkaProxy.LoadHarness.dll{args}` (`--baseline` names the earlier build: scripts/bench.sh passes the last commit before the engine moved onto Akka.NET, or `BENCH_BASELINE`). The machine is a shared 2-vCPU VM: client, fake and target compete for the same two cores, so only ratios within one run mean anything.").AppendLine();
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
        md.AppendLine("| scenario | target | req/s | p50 ms | p99 ms | TTFB p50 ms | added p50 ms | CPU s | CPU µs/req | alloc B/req | peak RSS MiB | errors | other load |");
        md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (string scenario in ScenarioNames(results, concurrency))
        {
            double directP50 = results.Find(scenario, concurrency, Target.Direct)?.Load.P50Ms ?? double.NaN;
            bool first = true;
            foreach (string target in Target.All)
            {
                if (results.Find(scenario, concurrency, target) is not RunFigures run)
                {
                    continue;
                }

                LoadResult load = run.Load;
                string added = target == Target.Direct ? Fmt.None : Fmt.F(load.P50Ms - directP50, 3);
                string name = first ? scenario : "";
                first = false;
                md.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {target} | {Fmt.N0(load.PerSecond)} | {Fmt.F(load.P50Ms, 3)} | {Fmt.F(load.P99Ms, 3)} | {Fmt.F(load.TtfbP50Ms, 3)} | {added} | {(run.Server.IsMeasured ? Fmt.F(run.Server.CpuSeconds, 2) : Fmt.None)} | {Fmt.F(CpuPerRequestMicros(run), 0)} | {Fmt.N0(run.AllocatedPerRequest)} | {(run.Server.IsMeasured ? Fmt.F(run.Server.PeakRssMiB, 1) : Fmt.None)} | {load.Errors} | {OtherLoad(run)} |");
            }
        }

        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"*other load*: the share of the machine's CPU time in the window used by anything but the middle process, the fake and the load generator (kernel network work charged to no process, and other programs); ⚠ marks more than {OtherLoadWarning:P0}, where another program probably competed.").AppendLine();
    }

    private const double OtherLoadWarning = 0.15;

    private static string OtherLoad(RunFigures run) =>
        !double.IsFinite(run.OtherShare) ? Fmt.None : (run.OtherShare > OtherLoadWarning ? "⚠ " : "") + Math.Max(0, run.OtherShare).ToString("P0", CultureInfo.InvariantCulture);

    /// <summary>The relay against each other target, one row per target (for req/s higher is better, for the others lower).</summary>
    private static void RatioTable(StringBuilder md, HarnessResults results, int concurrency)
    {
        md.AppendLine(CultureInfo.InvariantCulture, $"Ratios at c = {concurrency}: relay ÷ each other target (for req/s higher is better, for the others lower is better; alloc is the relay's bytes per request minus the other's):").AppendLine();
        md.AppendLine("| scenario | relay ÷ | req/s | p50 | p99 | TTFB p50 | added p50 | CPU per req | peak RSS | alloc B/req, relay − other |");
        md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (string scenario in ScenarioNames(results, concurrency))
        {
            if (results.Find(scenario, concurrency, Target.Relay) is not RunFigures r)
            {
                continue;
            }

            bool first = true;
            foreach (string other in Target.All.Where(t => t != Target.Relay))
            {
                if (results.Find(scenario, concurrency, other) is not RunFigures o)
                {
                    continue;
                }

                string Of(Func<LoadResult, double> figure) => Fmt.X(Fmt.Ratio(figure(r.Load), figure(o.Load)));
                string added = other == Target.Direct ? Fmt.None : Fmt.X(TargetChecks.AddedRatio(results, scenario, concurrency, other));
                string cpu = Fmt.X(Fmt.Ratio(CpuPerRequestMicros(r), CpuPerRequestMicros(o)));
                string rss = r.Server.IsMeasured && o.Server.IsMeasured ? Fmt.X(Fmt.Ratio(r.Server.PeakRssMiB, o.Server.PeakRssMiB)) : Fmt.None;
                string alloc = double.IsFinite(r.AllocatedPerRequest) && double.IsFinite(o.AllocatedPerRequest) ? Signed(r.AllocatedPerRequest - o.AllocatedPerRequest) : Fmt.None;
                md.AppendLine(CultureInfo.InvariantCulture, $"| {(first ? scenario : "")} | {other} | {Of(l => l.PerSecond)} | {Of(l => l.P50Ms)} | {Of(l => l.P99Ms)} | {Of(l => l.TtfbP50Ms)} | {added} | {cpu} | {rss} | {alloc} |");
                first = false;
            }
        }

        md.AppendLine();
        md.AppendLine("*added p50* is relay-added ÷ the other's added latency over direct; *CPU per req* compares the middle processes' CPU time per request. WebSocket rows count turns as requests; events/s = turns/s × events per turn.").AppendLine();
    }

    /// <summary>Both relay builds side by side: what issue 8's performance targets compare.</summary>
    private static void AgainstEarlierBuild(StringBuilder md, HarnessResults results)
    {
        if (results.Baseline is not BaselineFacts baseline || !results.Runs.Any(r => r.Target == Target.RelayBefore))
        {
            return;
        }

        md.AppendLine(CultureInfo.InvariantCulture, $"### The relay against the earlier build (`{baseline.Commit}`)").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"relay-before is {Named(baseline)}, \"{baseline.Subject.Replace("|", "\\|", StringComparison.Ordinal)}\"; relay is `{results.Commit}`. Both ran in this run, back to back per scenario:").AppendLine();
        md.AppendLine("| scenario | c | req/s before | req/s relay | ÷ before | p50 ms before | p50 ms relay | CPU µs/req before | CPU µs/req relay | alloc B/req before | alloc B/req relay | alloc difference |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (int concurrency in results.Runs.Select(r => r.Concurrency).Distinct().Order())
        {
            foreach (string scenario in ScenarioNames(results, concurrency))
            {
                if (results.Find(scenario, concurrency, Target.RelayBefore) is not RunFigures b || results.Find(scenario, concurrency, Target.Relay) is not RunFigures r)
                {
                    continue;
                }

                string difference = double.IsFinite(b.AllocatedPerRequest) && double.IsFinite(r.AllocatedPerRequest) ? Signed(r.AllocatedPerRequest - b.AllocatedPerRequest) : Fmt.None;
                md.AppendLine(CultureInfo.InvariantCulture, $"| {scenario} | {concurrency} | {Fmt.N0(b.Load.PerSecond)} | {Fmt.N0(r.Load.PerSecond)} | {Fmt.X(Fmt.Ratio(r.Load.PerSecond, b.Load.PerSecond))} | {Fmt.F(b.Load.P50Ms, 3)} | {Fmt.F(r.Load.P50Ms, 3)} | {Fmt.F(CpuPerRequestMicros(b), 0)} | {Fmt.F(CpuPerRequestMicros(r), 0)} | {Fmt.N0(b.AllocatedPerRequest)} | {Fmt.N0(r.AllocatedPerRequest)} | {difference} |");
            }
        }

        md.AppendLine();
        var websocket = new List<string>();
        // Every round together, as the target checks read them (each round runs the builds in another order).
        if (results.OneSocket.Any(o => o.Target == Target.RelayBefore) && results.OneSocket.Any(o => o.Target == Target.Relay))
        {
            (double ob, double or) = (results.OneSocketRate(Target.RelayBefore), results.OneSocketRate(Target.Relay));
            websocket.Add($"| events/s through one socket, rounds pooled | {Fmt.N0(ob)} | {Fmt.N0(or)} | {Fmt.X(Fmt.Ratio(or, ob))} |");
        }

        if (results.ManySockets.FirstOrDefault(m => m.Target == Target.Relay) is ManySocketsFigures mr && results.ManySockets.Any(m => m.Target == Target.RelayBefore))
        {
            (double mb, double mrate) = (results.ManySocketsRate(Target.RelayBefore), results.ManySocketsRate(Target.Relay));
            websocket.Add($"| events/s across {mr.Sockets:N0} sockets, rounds pooled | {Fmt.N0(mb)} | {Fmt.N0(mrate)} | {Fmt.X(Fmt.Ratio(mrate, mb))} |");
        }

        if (results.Idle(Target.RelayBefore) is IdleSocketFigures ib && results.Idle(Target.Relay) is IdleSocketFigures ir)
        {
            websocket.Add($"| RSS per idle socket, fresh relay (KiB) | {Fmt.F(ib.PerSocketKiB, 1)} | {Fmt.F(ir.PerSocketKiB, 1)} | {Fmt.X(Fmt.Ratio(ir.PerSocketKiB, ib.PerSocketKiB))} |");
            websocket.Add($"| RSS per idle socket, second round (KiB) | {Fmt.F(ib.SecondPerSocketKiB, 1)} | {Fmt.F(ir.SecondPerSocketKiB, 1)} | {Fmt.X(Fmt.Ratio(ir.SecondPerSocketKiB, ib.SecondPerSocketKiB))} |");
            websocket.Add($"| managed heap per idle socket (KiB) | {Fmt.F(ib.HeapPerSocketKiB ?? double.NaN, 1)} | {Fmt.F(ir.HeapPerSocketKiB ?? double.NaN, 1)} | {Fmt.X(Fmt.Ratio(ir.HeapPerSocketKiB ?? double.NaN, ib.HeapPerSocketKiB ?? double.NaN))} |");
        }

        if (websocket.Count > 0)
        {
            md.AppendLine("| WebSocket | before | relay | relay ÷ before |").AppendLine("|---|---:|---:|---:|");
            foreach (string row in websocket)
            {
                md.AppendLine(row);
            }

            md.AppendLine();
        }

        md.AppendLine("The targets these figures are checked against (≥ 0.95× req/s and at most 4 KB more allocated per request in every HTTP scenario at c=1 and c=32; WebSocket events/s ≥ 1.0×; memory per idle socket no worse) are in the *Targets* table above, each missed one with the amount it was missed by.").AppendLine();
    }

    private static void WebSockets(StringBuilder md, HarnessResults results)
    {
        if (results.OneSocket.Count == 0 && results.ManySockets.Count == 0 && results.IdleSockets is null)
        {
            return;
        }

        md.AppendLine("### WebSocket").AppendLine();
        if (results.OneSocket.Count > 0)
        {
            int events = results.OneSocket.Max(o => o.Events);
            md.AppendLine(CultureInfo.InvariantCulture, $"**One socket, one turn of {events:N0} events** (after the same turn once as a warm-up); events/s = events / (send of `response.create` → `response.completed`):").AppendLine();
            md.AppendLine("| target | seconds | events/s | ÷direct | ÷nginx | ÷yarp | middle CPU s | error |").AppendLine("|---|---:|---:|---:|---:|---:|---:|---|");
            double direct = results.OneSocket.FirstOrDefault(o => o.Target == Target.Direct)?.EventsPerSecond ?? double.NaN;
            double nginx = results.OneSocket.FirstOrDefault(o => o.Target == Target.Nginx)?.EventsPerSecond ?? double.NaN;
            double yarp = results.OneSocket.FirstOrDefault(o => o.Target == Target.Yarp)?.EventsPerSecond ?? double.NaN;
            foreach (OneSocketFigures one in results.OneSocket)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"| {one.Target} | {Fmt.F(one.Seconds, 3)} | {Fmt.N0(one.EventsPerSecond)} | {Fmt.X(Fmt.Ratio(one.EventsPerSecond, direct))} | {Fmt.X(Fmt.Ratio(one.EventsPerSecond, nginx))} | {Fmt.X(Fmt.Ratio(one.EventsPerSecond, yarp))} | {(one.Target == Target.Direct ? Fmt.None : Fmt.F(one.ServerCpuSeconds, 2))} | {one.Error ?? ""} |");
            }

            md.AppendLine();
        }

        if (results.ManySockets.Count > 0)
        {
            ManySocketsFigures first = results.ManySockets[0];
            md.AppendLine(CultureInfo.InvariantCulture, $"**{first.Sockets:N0} concurrent sockets**, opened before the clock starts, each running {first.EventsPerTurn}-event turns back to back ({results.Options.Warmup.TotalSeconds:0.#} s warm-up, {results.Options.Duration.TotalSeconds:0.#} s measured):").AppendLine();
            md.AppendLine("| target | sockets open | events/s | ÷direct | ÷nginx | ÷yarp | turns/s | turn p50 ms | turn p99 ms | middle CPU s | middle peak RSS MiB | fake CPU s | client CPU s | errors |");
            md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            double direct = results.ManySockets.FirstOrDefault(m => m.Target == Target.Direct)?.Load.EventsPerSecond ?? double.NaN;
            double nginx = results.ManySockets.FirstOrDefault(m => m.Target == Target.Nginx)?.Load.EventsPerSecond ?? double.NaN;
            double yarp = results.ManySockets.FirstOrDefault(m => m.Target == Target.Yarp)?.Load.EventsPerSecond ?? double.NaN;
            foreach (ManySocketsFigures many in results.ManySockets)
            {
                LoadResult load = many.Load;
                md.AppendLine(CultureInfo.InvariantCulture, $"| {many.Target} | {many.Opened:N0} | {Fmt.N0(load.EventsPerSecond)} | {Fmt.X(Fmt.Ratio(load.EventsPerSecond, direct))} | {Fmt.X(Fmt.Ratio(load.EventsPerSecond, nginx))} | {Fmt.X(Fmt.Ratio(load.EventsPerSecond, yarp))} | {Fmt.N0(load.PerSecond)} | {Fmt.F(load.P50Ms, 1)} | {Fmt.F(load.P99Ms, 1)} | {(many.Server.IsMeasured ? Fmt.F(many.Server.CpuSeconds, 2) : Fmt.None)} | {(many.Server.IsMeasured ? Fmt.F(many.Server.PeakRssMiB, 1) : Fmt.None)} | {Fmt.F(many.Fake.CpuSeconds, 2)} | {Fmt.F(many.Client.CpuSeconds, 2)} | {load.Errors} |");
            }

            md.AppendLine();
            md.AppendLine("With this many sockets the load generator and the fake are busy too (their CPU columns): the targets share two cores with them.").AppendLine();
        }

        if (results.IdleSockets.Count > 0)
        {
            IdleSocketFigures idle = results.IdleSockets[^1];
            string builds = results.IdleSockets.Count > 1 ? ", one of each build in turn" : "";
            md.AppendLine(CultureInfo.InvariantCulture, $"**Memory per idle socket**, on a fresh relay (so the earlier load has not already grown its heap){builds}: RSS after a warm-up of 16 sockets × 3 turns, then with {idle.Opened:N0} client sockets open, each after one 20-event turn (so each also holds its upstream socket). Before each reading the harness induces a full GC in the relay over EventPipe (the `GCHeapCollect` keyword, as `dotnet-gcdump` does) and waits {idle.SettleSeconds:0} s.").AppendLine();
            md.AppendLine("| | before | with the sockets open | per socket | after closing them |").AppendLine("|---|---:|---:|---:|---:|");
            foreach (IdleSocketFigures build in results.IdleSockets)
            {
                string name = build.Target;
                md.AppendLine(CultureInfo.InvariantCulture, $"| {name} RSS | {Fmt.F(build.RssBeforeMiB, 1)} MiB | {Fmt.F(build.RssAfterMiB, 1)} MiB | **{Fmt.F(build.PerSocketKiB, 1)} KiB** | {Fmt.F(build.RssAfterCloseMiB, 1)} MiB |");
                string heapBefore = build.HeapBefore is long hb ? Fmt.F(hb / 1048576.0, 1) + " MiB" : Fmt.None;
                string heapAfter = build.HeapAfter is long ha ? Fmt.F(ha / 1048576.0, 1) + " MiB" : Fmt.None;
                string heapPer = build.HeapPerSocketKiB is double hp ? Fmt.F(hp, 1) + " KiB" : Fmt.None;
                md.AppendLine(CultureInfo.InvariantCulture, $"| {name} managed heap after full GC | {heapBefore} | {heapAfter} | {heapPer} | |");
                md.AppendLine(CultureInfo.InvariantCulture, $"| {name} RSS, second round (the same again on the same relay) | {Fmt.F(build.RssAfterCloseMiB, 1)} MiB | {Fmt.F(build.SecondRssAfterMiB, 1)} MiB | **{Fmt.F(build.SecondPerSocketKiB, 1)} KiB** | |");
            }

            md.AppendLine();
            string turns = string.Join(", ", results.IdleSockets.Select(b => $"{b.TurnsOk:N0} ({b.Target})"));
            md.AppendLine(CultureInfo.InvariantCulture, $"Turns that completed on the {idle.Opened:N0} sockets: {turns}. The first round's RSS delta also holds what the runtime keeps after serving {idle.Opened:N0} turns at once (Kestrel's pinned block pool, `ArrayPool` buckets, GC-committed space): it does not fall back when the sockets close. The second round opens as many sockets again on the same relay, whose pools have already grown, so its delta leaves the pools out; it may also reuse heap space the first round left committed, so it is a lower bound. The managed-heap row (live objects after a full GC) is the per-socket state itself.").AppendLine();
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

    private static void Conversation(StringBuilder md, HarnessResults results)
    {
        if (results.Conversations.Count == 0)
        {
            return;
        }

        ConversationFigures first = results.Conversations[0];
        md.AppendLine("### A 10-turn tool-calling conversation: SSE against pooled WebSockets").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Eight conversations at once, each {first.TurnCount} turns of streaming `POST /v1/responses` (every turn continues the previous response with its tool's output), through three fresh relays, {first.Rounds.Count} rounds each (the relays' connections and pools are warm after the first). The fake provider charges {Fake.ConversationEndpoint.ConnectionSetup.TotalMilliseconds:0} ms per new connection (TCP or WebSocket), {Fake.ConversationEndpoint.CacheMiss.TotalMilliseconds:0} ms for a continuation that is not the last response of the socket it arrives on (over HTTP, every continuation), and {Fake.ConversationEndpoint.FirstToken.TotalMilliseconds:0} ms before every turn's first event. Time to first event is from the request sent to the first byte of the relay's SSE body; medians over every round and conversation.").AppendLine();
        md.AppendLine("| turn | " + string.Join(" | ", results.Conversations.Select(c => $"{c.Transport}, ms")) + " |");
        md.AppendLine("|---:|" + string.Concat(results.Conversations.Select(_ => "---:|")));
        for (int turn = 0; turn < first.TurnCount; turn++)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {turn + 1} | {string.Join(" | ", results.Conversations.Select(c => Fmt.F(c.MedianMs(turn), 1)))} |");
        }

        md.AppendLine(CultureInfo.InvariantCulture, $"| turns 2–{first.TurnCount} | {string.Join(" | ", results.Conversations.Select(c => "**" + Fmt.F(c.ContinuationMedianMs, 1) + "**"))} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| upstream: new connections | {string.Join(" | ", results.Conversations.Select(c => Fmt.N0(c.Connections)))} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| upstream: cache misses / turns | {string.Join(" | ", results.Conversations.Select(c => $"{Fmt.N0(c.Misses)} / {Fmt.N0(c.Turns)}"))} |");
        md.AppendLine();
        md.AppendLine("![Median time to first event per turn, one line per transport](benchmarks-conversation.png)").AppendLine();
    }

    private static void ClusterConversation(StringBuilder md, HarnessResults results)
    {
        if (results.ClusterConversations.Count == 0)
        {
            return;
        }

        ConversationFigures first = results.ClusterConversations[0];
        md.AppendLine("### Conversation affinity across relay nodes").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"The conversations above over pooled WebSockets with affinity, on one relay; on two relays that know nothing of each other, each turn on the other relay than the turn before it (a round-robin); and on two relays as one cluster, the same round-robin. {first.Rounds.Count} measured rounds after a warm-up round; medians over every round and conversation.").AppendLine();
        md.AppendLine("| turn | " + string.Join(" | ", results.ClusterConversations.Select(c => $"{c.Transport}, ms")) + " |");
        md.AppendLine("|---:|" + string.Concat(results.ClusterConversations.Select(_ => "---:|")));
        for (int turn = 0; turn < first.TurnCount; turn++)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {turn + 1} | {string.Join(" | ", results.ClusterConversations.Select(c => Fmt.F(c.MedianMs(turn), 1)))} |");
        }

        md.AppendLine(CultureInfo.InvariantCulture, $"| turns 2–{first.TurnCount} | {string.Join(" | ", results.ClusterConversations.Select(c => "**" + Fmt.F(c.ContinuationMedianMs, 1) + "**"))} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| upstream: new connections | {string.Join(" | ", results.ClusterConversations.Select(c => Fmt.N0(c.Connections)))} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| upstream: cache misses / turns | {string.Join(" | ", results.ClusterConversations.Select(c => $"{Fmt.N0(c.Misses)} / {Fmt.N0(c.Turns)}"))} |");
        md.AppendLine();
    }

    private static void ServiceCosts(StringBuilder md, HarnessResults results)
    {
        if (results.ServiceCosts is not ServiceCostFigures costs)
        {
            return;
        }

        int rounds = results.Options.ServiceRounds;
        md.AppendLine("### What the ledger and the key limits cost").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Four fresh relays of this build, the Chat SSE scenarios at c=32, {rounds} rounds with the order rotating, after one warm-up round that is not kept; each cell is req/s per round, then the median of the rounds. `{ServiceCostFigures.LedgerOn}` is the default (the SQLite ledger on), `{ServiceCostFigures.LedgerOff}` has `AKKAPROXY__LEDGER__ENABLED=false`; `{ServiceCostFigures.KeyPlain}` has one relay key without limits and clients send it, `{ServiceCostFigures.KeyLimits}` gives the same key a budget and both rate limits, far too high to refuse, so every request is checked and accounted. All four price the fake's models alike.").AppendLine();
        md.AppendLine("| scenario | relay | req/s per round | median | p50 ms (median round) | CPU µs/req |").AppendLine("|---|---|---|---:|---:|---:|");
        foreach (string scenario in costs.Scenarios)
        {
            foreach (string variant in ServiceCostFigures.Variants)
            {
                RunFigures[] runs = [.. costs.Runs.Where(r => r.Scenario == scenario && r.Target == variant)];
                RunFigures middle = runs.OrderBy(r => r.Load.PerSecond).ElementAt(runs.Length / 2);
                string perRound = string.Join(", ", runs.Select(r => Fmt.N0(r.Load.PerSecond)));
                md.AppendLine(CultureInfo.InvariantCulture, $"| {scenario} | {variant} | {perRound} | {Fmt.N0(costs.MedianPerSecond(scenario, variant))} | {Fmt.F(middle.Load.P50Ms, 3)} | {Fmt.F(CpuPerRequestMicros(middle), 0)} |");
            }
        }

        md.AppendLine();
        md.AppendLine("Each round's ratio is taken within the round (the two runs are minutes apart at most), and the table gives the median of those ratios: req/s lost, and CPU per request added.").AppendLine();
        md.AppendLine("| scenario | the ledger: req/s lost (1 − on ÷ off) | the ledger: CPU/req added | the key limits: req/s lost (1 − limits ÷ key) | the key limits: CPU/req added |").AppendLine("|---|---:|---:|---:|---:|");
        foreach (string scenario in costs.Scenarios)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {scenario} | {costs.Cost(scenario, ServiceCostFigures.LedgerOn, ServiceCostFigures.LedgerOff):P1} | {costs.CpuCost(scenario, ServiceCostFigures.LedgerOn, ServiceCostFigures.LedgerOff):P1} | {costs.Cost(scenario, ServiceCostFigures.KeyLimits, ServiceCostFigures.KeyPlain):P1} | {costs.CpuCost(scenario, ServiceCostFigures.KeyLimits, ServiceCostFigures.KeyPlain):P1} |");
        }

        md.AppendLine();
    }

    /// <summary>"commit `abc1234`", or "`main` (commit `abc1234`)" when the revision was given by another name.</summary>
    private static string Named(BaselineFacts baseline) =>
        baseline.Commit.StartsWith(baseline.Revision, StringComparison.OrdinalIgnoreCase) ? $"commit `{baseline.Commit}`" : $"`{baseline.Revision}` (commit `{baseline.Commit}`)";

    private static double CpuPerRequestMicros(RunFigures run) =>
        run.Server.IsMeasured && run.Load.Completed > 0 ? run.Server.CpuSeconds * 1e6 / run.Load.Completed : double.NaN;

    /// <summary>A byte difference with its sign: "+312 B", "−40 B".</summary>
    private static string Signed(double bytes) => (bytes >= 0 ? "+" : "−") + Fmt.N0(Math.Abs(bytes)) + " B";

    private static IEnumerable<string> ScenarioNames(HarnessResults results, int concurrency) =>
        Scenarios.All.Select(s => s.Name).Where(n => results.Runs.Any(r => r.Scenario == n && r.Concurrency == concurrency));
}
