using System.Diagnostics;
using System.Globalization;
using AkkaProxy.LoadHarness.Load;
using AkkaProxy.LoadHarness.Report;
using AkkaProxy.LoadHarness.Results;
using AkkaProxy.LoadHarness.Targets;

namespace AkkaProxy.LoadHarness;

/// <summary>
/// One harness run: builds the earlier relay when asked (<c>--baseline</c>); starts the fake upstream,
/// nginx, YARP, the earlier relay and the relay; checks that every target returns the upstream's exact
/// bytes; runs every scenario at every concurrency against the targets back to back (rotating which
/// goes first); then the WebSocket extras (memory per idle socket for each relay build) and the
/// logging comparison; then writes the report and the chart.
/// </summary>
public sealed class HarnessRun(HarnessOptions options)
{
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(300);
    private readonly Dictionary<string, HttpMessageInvoker> _clients = [];

    public async Task RunAsync()
    {
        var clock = Stopwatch.StartNew();
        long openFiles = ProcStats.OpenFilesLimit();
        if (openFiles is > 0 and < 8192)
        {
            Log($"warning: the open-files limit is {openFiles}; the {options.Sockets}-socket test needs more (scripts/bench.sh raises it with ulimit -n).");
        }

        DirectoryInfo workDir = Directory.CreateTempSubdirectory("akkaproxy-bench-");
        Log($"work directory {workDir.FullName}");
        await using BaselineBuild? baseline = options.Baseline is string revision && Wants(Target.RelayBefore) ? await BuildBaselineAsync(revision) : null;
        await using FakeProcess fake = await FakeProcess.StartAsync();
        Log($"fake upstream {fake.BaseUri} (pid {fake.Process.Pid})");
        await using NginxProcess nginx = await NginxProcess.StartAsync(fake.Port, workDir.FullName);
        Log($"nginx {nginx.Version} {nginx.BaseUri} (pids {string.Join(',', nginx.Pids())})");
        await using YarpProcess? yarp = Wants(Target.Yarp) ? await YarpProcess.StartAsync(options.RepoRoot, fake.BaseUri, workDir.FullName) : null;
        if (yarp is not null)
        {
            Log($"yarp {yarp.Version} {yarp.BaseUri} (pid {yarp.Process.Pid})");
        }

        await using RelayProcess? before = baseline is null ? null : await RelayProcess.StartAsync(baseline.HostDll, fake.BaseUri, "Warning", workDir.FullName, options.RelayEnvironment, Target.RelayBefore);
        if (before is not null)
        {
            Log($"relay-before ({baseline!.Commit}) {before.BaseUri} (pid {before.Process.Pid})");
        }

        await using RelayProcess relay = await RelayProcess.StartAsync(RelayProcess.HostDll(options.RepoRoot), fake.BaseUri, "Warning", workDir.FullName, options.RelayEnvironment);
        Log($"relay {relay.BaseUri} (pid {relay.Process.Pid})");

        var results = new HarnessResults
        {
            Options = options,
            Machine = await MachineInfo.CollectAsync(options.RepoRoot, nginx.Version, yarp?.Version, baseline),
            StartedAt = DateTimeOffset.UtcNow,
            Commit = await GitInfo.DescribeAsync(options.RepoRoot),
            Baseline = baseline is null ? null : new BaselineFacts(baseline.Revision, baseline.Commit, baseline.Subject),
        };
        Target direct = new(Target.Direct, fake.BaseUri, "", () => []);
        Target[] targets = [.. new[] { direct, nginx.AsTarget(), yarp?.AsTarget(), before?.AsTarget(Target.RelayBefore), relay.AsTarget() }.OfType<Target>().Where(t => Wants(t.Name))];
        Func<IReadOnlyList<int>> fakePids = () => [fake.Process.Pid];

        IReadOnlyList<Scenario> scenarios = [.. Scenarios.All.Where(s => options.Grid && (options.Only is null || options.Only.Contains(s.Name)))];
        await SmokeCheckAsync(scenarios, targets);

        int rotation = 0;
        foreach (Scenario scenario in scenarios)
        {
            foreach (int concurrency in options.Concurrencies)
            {
                for (int k = 0; k < targets.Length; k++)
                {
                    Target target = targets[(k + rotation) % targets.Length];
                    RunFigures run = await RunOnceAsync(target, scenario, concurrency, fakePids);
                    results.Runs.Add(run);
                    Print(run);
                }

                rotation++;
            }
        }

        if (options.Runs("one-socket"))
        {
            foreach ((int round, Target target) in Rotated(targets, options.SocketRounds))
            {
                OneSocketFigures one = await OneSocketAsync(target);
                results.OneSocket.Add(one);
                Log($"one socket   {target.Name,-12} round {round + 1}: {one.Events} events in {one.Seconds:0.000} s = {one.EventsPerSecond,10:N0} events/s  server cpu {one.ServerCpuSeconds:0.00} s {one.Error}");
            }
        }

        if (options.Runs("many-sockets"))
        {
            foreach ((int round, Target target) in Rotated(targets, options.SocketRounds))
            {
                ManySocketsFigures many = await ManySocketsAsync(target, fakePids);
                results.ManySockets.Add(many);
                Log($"{many.Sockets} sockets {target.Name,-12} round {round + 1}: opened {many.Opened}  {many.Load.EventsPerSecond,10:N0} events/s  {many.Load.PerSecond,8:N0} turns/s  p50 {many.Load.P50Ms:0.0} ms  errors {many.Load.Errors}  server cpu {many.Server.CpuSeconds:0.00} s  {many.Load.FirstError}");
            }
        }

        if (options.Runs("logging"))
        {
            results.Logging = await LoggingAsync(relay, fake, workDir.FullName, fakePids);
            Log($"logging      Warning {results.Logging.Warning.Load.PerSecond:N0} req/s, Information {results.Logging.Information.Load.PerSecond:N0} req/s, log {results.Logging.InformationLogBytes / 1024.0 / 1024:0.0} MiB");
        }

        if (options.Runs("service-costs"))
        {
            results.ServiceCosts = await ServiceCostsAsync(fake, workDir.FullName, fakePids);
            foreach (string scenario in results.ServiceCosts.Scenarios)
            {
                ServiceCostFigures costs = results.ServiceCosts;
                Log($"service costs {scenario}: ledger {costs.Cost(scenario, ServiceCostFigures.LedgerOn, ServiceCostFigures.LedgerOff):P1} of req/s ({costs.CpuCost(scenario, ServiceCostFigures.LedgerOn, ServiceCostFigures.LedgerOff):P1} CPU/req), key limits {costs.Cost(scenario, ServiceCostFigures.KeyLimits, ServiceCostFigures.KeyPlain):P1} ({costs.CpuCost(scenario, ServiceCostFigures.KeyLimits, ServiceCostFigures.KeyPlain):P1} CPU/req)");
            }
        }

        if (options.Runs("conversation"))
        {
            results.Conversations.AddRange(await ConversationsAsync(fake, workDir.FullName));
            foreach (ConversationFigures transport in results.Conversations)
            {
                Log($"conversation {transport.Transport,-22} turn 1 {transport.MedianMs(0),7:0.0} ms, turns 2-{transport.TurnCount} median {transport.ContinuationMedianMs,7:0.0} ms; upstream: {transport.Connections} new connections, {transport.Misses} cache misses in {transport.Turns} turns");
            }
        }

        if (options.Runs("cluster-conversation"))
        {
            results.ClusterConversations.AddRange(await ClusterConversationsAsync(fake, workDir.FullName));
            foreach (ConversationFigures nodes in results.ClusterConversations)
            {
                Log($"cluster conversation {nodes.Transport,-28} turn 1 {nodes.MedianMs(0),7:0.0} ms, turns 2-{nodes.TurnCount} median {nodes.ContinuationMedianMs,7:0.0} ms; upstream: {nodes.Connections} new connections, {nodes.Misses} cache misses in {nodes.Turns} turns");
            }
        }

        if (options.Runs("nodes"))
        {
            foreach (RunFigures run in await NodesAsync(fake, workDir.FullName, fakePids))
            {
                Print(run);
            }
        }

        if (options.Runs("idle-sockets"))
        {
            var builds = new List<(string Name, string Dll)>();
            if (baseline is not null)
            {
                builds.Add((Target.RelayBefore, baseline.HostDll));
            }

            builds.Add((Target.Relay, RelayProcess.HostDll(options.RepoRoot)));
            foreach ((string name, string dll) in builds)
            {
                IdleSocketFigures idle = await IdleSocketsAsync(name, dll, fake, workDir.FullName);
                results.IdleSockets.Add(idle);
                Log($"idle sockets {name,-12} {idle.Opened} open, {idle.TurnsOk} turns ok: RSS {idle.RssBeforeMiB:0.0} -> {idle.RssAfterMiB:0.0} MiB = {idle.PerSocketKiB:0.0} KiB per socket (after close {idle.RssAfterCloseMiB:0.0} MiB); managed heap {idle.HeapBefore} -> {idle.HeapAfter} = {idle.HeapPerSocketKiB:0.0} KiB per socket; second round RSS {idle.RssAfterCloseMiB:0.0} -> {idle.SecondRssAfterMiB:0.0} MiB = {idle.SecondPerSocketKiB:0.0} KiB per socket");
            }
        }

        results.FinishedAt = DateTimeOffset.UtcNow;
        foreach (HttpMessageInvoker client in _clients.Values)
        {
            client.Dispose();
        }

        Log($"measured in {clock.Elapsed.TotalSeconds:0} s");
        IReadOnlyList<TargetCheck> checks = TargetChecks.Evaluate(results);
        foreach (TargetCheck check in checks)
        {
            Log($"target: {check.Target}: {check.Verdict.Replace("*", "", StringComparison.Ordinal)} ({check.Measured})");
        }

        Log($"targets: {checks.Count(c => c.Met == true)} met, {checks.Count(c => c.Met == false)} missed, {checks.Count(c => c.Met is null)} not measured");

        if (options.Write)
        {
            string md = Path.Combine(options.RepoRoot, options.Out);
            string png = Path.Combine(options.RepoRoot, options.Chart);
            Directory.CreateDirectory(Path.GetDirectoryName(md)!);
            Directory.CreateDirectory(Path.GetDirectoryName(png)!);
            await ChartRenderer.RenderAsync(results, png, workDir.FullName);
            await ConversationChart.RenderAsync(results.Conversations, Path.Combine(options.RepoRoot, options.ConversationChart), workDir.FullName);
            await MarkdownReport.WriteAsync(results, md, Path.GetRelativePath(Path.GetDirectoryName(md)!, png));
            Log($"wrote {md} and {png}");
        }

        try
        {
            workDir.Delete(recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean.
        }
    }

    private bool Wants(string target) => options.Targets is null || options.Targets.Contains(target);

    private async Task<BaselineBuild> BuildBaselineAsync(string revision)
    {
        Log($"building the relay at {revision} in a temporary git worktree (Release)...");
        BaselineBuild baseline = await BaselineBuild.CreateAsync(options.RepoRoot, revision);
        Log($"relay-before: {baseline.Commit} \"{baseline.Subject}\", built in {baseline.BuildTime.TotalSeconds:0} s ({baseline.Worktree})");
        return baseline;
    }

    private async Task SmokeCheckAsync(IReadOnlyList<Scenario> scenarios, IReadOnlyList<Target> targets)
    {
        foreach (Scenario scenario in scenarios)
        {
            foreach (Target target in targets)
            {
                await using ILoadRun run = CreateRun(target, scenario, 1);
                await run.PrepareAsync();
                // Long enough for a cold relay's first request (JIT, first connections: about 0.4 s here), which a
                // shorter window made a smoke failure of "0 ok, 0 errors".
                LoadResult result = await run.RunAsync(LoadPhases.From(TimeSpan.Zero, TimeSpan.FromSeconds(2)));
                if (result.Errors > 0 || result.Completed == 0)
                {
                    throw new InvalidOperationException($"Smoke check failed: {scenario.Name} via {target.Name}: {result.Completed} ok, {result.Errors} errors; first: {result.FirstError}");
                }
            }
        }

        Log($"smoke check passed: every target relays the upstream's exact bytes for {scenarios.Count} scenarios");
    }

    private ILoadRun CreateRun(Target target, Scenario scenario, int concurrency) =>
        scenario.Kind == ScenarioKind.WebSocket
            ? new WebSocketLoadRun(target, scenario, concurrency)
            : new HttpLoadRun(ClientFor(target), target, scenario, concurrency);

    private HttpMessageInvoker ClientFor(Target target)
    {
        string key = target.Name + " " + target.BaseUri;
        if (!_clients.TryGetValue(key, out HttpMessageInvoker? client))
        {
            _clients[key] = client = HttpClients.Create();
        }

        return client;
    }

    private async Task<RunFigures> RunOnceAsync(Target target, Scenario scenario, int concurrency, Func<IReadOnlyList<int>> fakePids)
    {
        await Task.Delay(Pause);
        await using ILoadRun run = CreateRun(target, scenario, concurrency);
        await run.PrepareAsync();
        LoadPhases phases = LoadPhases.From(options.Warmup, options.Duration);
        Task<ProcessUsage> server = UsageSampler.MeasureAsync(target.ServerPids, phases);
        Task<ProcessUsage> fake = UsageSampler.MeasureAsync(fakePids, phases);
        Task<ProcessUsage> client = UsageSampler.MeasureAsync(() => [Environment.ProcessId], phases);
        Task<double> machine = UsageSampler.MachineBusyAsync(phases);
        Task<long?> allocated = target.IsDotNet ? AllocationSampler.MeasureAsync(target.ServerPids, phases) : Task.FromResult<long?>(null);
        LoadResult load = await run.RunAsync(phases);
        return new RunFigures(scenario.Name, concurrency, target.Name, load, await server, await fake, await client, await machine, await allocated);
    }

    /// <summary>One socket, one turn of <see cref="HarnessOptions.OneSocketEvents"/> events (after the same turn once as a warm-up).</summary>
    private async Task<OneSocketFigures> OneSocketAsync(Target target)
    {
        await Task.Delay(Pause);
        var big = new Scenario("websocket-one-socket", ScenarioKind.WebSocket, options.OneSocketEvents);
        int expected = big.Expected.Events;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await using WebSocketTurnClient client = await WebSocketTurnClient.ConnectAsync(target.WebSocketUri, timeout.Token);
            byte[] request = big.RequestBody(target.Model(big.BareModel));
            await client.RunTurnAsync(request, timeout.Token); // warm-up: the same turn once, unmeasured
            (TurnResult turn, double cpu) = await UsageSampler.CpuDuringAsync(target.ServerPids(), () => client.RunTurnAsync(request, timeout.Token));
            double seconds = (turn.Completed - turn.Sent) / (double)Stopwatch.Frequency;
            string? error = turn.Events == expected ? null : $"{turn.Events} of {expected} events";
            return new OneSocketFigures(target.Name, turn.Events, seconds, cpu, error);
        }
        catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or OperationCanceledException or IOException)
        {
            return new OneSocketFigures(target.Name, 0, 0, 0, ex.Message);
        }
    }

    /// <summary><see cref="HarnessOptions.Sockets"/> sockets open at once, each running 200-event turns back to back.</summary>
    private async Task<ManySocketsFigures> ManySocketsAsync(Target target, Func<IReadOnlyList<int>> fakePids)
    {
        await Task.Delay(Pause);
        var scenario = new Scenario("websocket-200", ScenarioKind.WebSocket, 200);
        await using var run = new WebSocketLoadRun(target, scenario, options.Sockets, connectParallelism: 64);
        await run.PrepareAsync();
        LoadPhases phases = LoadPhases.From(options.Warmup, options.Duration);
        Task<ProcessUsage> server = UsageSampler.MeasureAsync(target.ServerPids, phases);
        Task<ProcessUsage> fake = UsageSampler.MeasureAsync(fakePids, phases);
        Task<ProcessUsage> client = UsageSampler.MeasureAsync(() => [Environment.ProcessId], phases);
        LoadResult load = await run.RunAsync(phases);
        return new ManySocketsFigures(target.Name, options.Sockets, run.Clients.Count, scenario.Expected.Events, load, await server, await fake, await client);
    }

    /// <summary>The conversations of the conversation extra run at once, and their turns.</summary>
    private const int Conversations = 8;
    private const int ConversationTurns = 10;
    private const int ConversationRounds = 3;

    /// <summary>
    /// The conversation benchmark: <see cref="Conversations"/> tool-calling conversations of
    /// <see cref="ConversationTurns"/> turns at once, through three fresh relays whose provider reaches the
    /// fake's transport-sensitive endpoint (<c>Fake/ConversationEndpoint</c>) over plain SSE, over pooled
    /// WebSockets without affinity, and with affinity; <see cref="ConversationRounds"/> rounds each, the
    /// relays' pools warm after the first. The fake counts new connections and cache misses per transport.
    /// </summary>
    private async Task<List<ConversationFigures>> ConversationsAsync(FakeProcess fake, string workDir)
    {
        string provider = $$"""akkaproxy.routing.providers.conv { kind = openai, base-url = "{{new Uri(fake.BaseUri, "/conv/v1")}}", api-key = "sk-fake" }""";
        (string Name, string Hocon)[] transports =
        [
            ("sse", provider),
            ("websocket-pooled", provider + "\n" + ConversationHocon.WebSocket(affinity: false)),
            ("websocket-pooled-affinity", provider + "\n" + ConversationHocon.WebSocket(affinity: true)),
        ];
        var figures = new List<ConversationFigures>();
        using var stats = new HttpClient { BaseAddress = fake.BaseUri };
        foreach ((string name, string hocon) in transports)
        {
            await using RelayProcess relay = await RelayProcess.StartAsync(RelayProcess.HostDll(options.RepoRoot), fake.BaseUri, "Warning", workDir, options.RelayEnvironment, "relay-" + name, hocon);
            Target target = relay.AsTarget("relay-" + name) with { ModelPrefix = "conv/" };
            (long connections, long misses, long turns) before = await StatsAsync(stats);
            var rounds = new List<double[][]>();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            for (int round = 0; round < ConversationRounds; round++)
            {
                rounds.Add(await new ConversationRun(target, Conversations, ConversationTurns).RunAsync(timeout.Token));
            }

            (long connections, long misses, long turns) after = await StatsAsync(stats);
            figures.Add(new ConversationFigures(name, rounds, after.connections - before.connections, after.misses - before.misses, after.turns - before.turns));
        }

        return figures;
    }

    /// <summary>
    /// Affinity across relay nodes: the same conversations over pooled WebSockets with affinity, on one
    /// relay; on two relays that know nothing of each other, every turn on the other one (each
    /// continuation misses its socket); and on two relays as one cluster, every turn on the other one
    /// (each continuation sent on to the node holding its socket). A first round warms the relays (and
    /// lets the cluster form); the <see cref="ConversationRounds"/> after it are measured.
    /// </summary>
    private async Task<List<ConversationFigures>> ClusterConversationsAsync(FakeProcess fake, string workDir)
    {
        string sockets = $$"""akkaproxy.routing.providers.conv { kind = openai, base-url = "{{new Uri(fake.BaseUri, "/conv/v1")}}", api-key = "sk-fake" }""" + "\n" + ConversationHocon.WebSocket(affinity: true);
        int seed = FreePort.Next();
        string Cluster(int port) => sockets + $$"""

            akkaproxy.ledger.enabled = false
            akkaproxy.cluster { enabled = true, hostname = "127.0.0.1", port = {{port}}, seed-nodes = ["akka.tcp://akkaproxy@127.0.0.1:{{seed}}"] }
            """;
        (string Name, string[] Hocons)[] variants =
        [
            ("one node", [sockets]),
            ("two nodes, no cluster", [sockets, sockets]),
            ("two nodes, one cluster", [Cluster(seed), Cluster(0)]),
        ];
        var figures = new List<ConversationFigures>();
        using var stats = new HttpClient { BaseAddress = fake.BaseUri };
        foreach ((string name, string[] hocons) in variants)
        {
            var relays = new List<RelayProcess>();
            try
            {
                for (int i = 0; i < hocons.Length; i++)
                {
                    relays.Add(await RelayProcess.StartAsync(RelayProcess.HostDll(options.RepoRoot), fake.BaseUri, "Warning", workDir, options.RelayEnvironment, $"relay-nodes-{figures.Count}-{i}", hocons[i]));
                }

                Target[] targets = [.. relays.Select((relay, i) => relay.AsTarget($"node-{i}") with { ModelPrefix = "conv/" })];
                using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
                await new ConversationRun(targets, Conversations, ConversationTurns).RunAsync(timeout.Token); // warm-up, not counted
                (long connections, long misses, long turns) before = await StatsAsync(stats);
                var rounds = new List<double[][]>();
                for (int round = 0; round < ConversationRounds; round++)
                {
                    rounds.Add(await new ConversationRun(targets, Conversations, ConversationTurns).RunAsync(timeout.Token));
                }

                (long connections, long misses, long turns) after = await StatsAsync(stats);
                figures.Add(new ConversationFigures(name, rounds, after.connections - before.connections, after.misses - before.misses, after.turns - before.turns));
            }
            finally
            {
                foreach (RelayProcess relay in relays)
                {
                    await relay.DisposeAsync();
                }
            }
        }

        return figures;
    }

    /// <summary>
    /// chat-sse-20 at c=32 over 1, 2 and 3 relay nodes as one cluster behind a round-robin (worker i to
    /// node i mod n), and over one relay without a cluster: what clustering costs, and what more nodes
    /// give on this machine. A warm-up run first for each.
    /// </summary>
    private async Task<List<RunFigures>> NodesAsync(FakeProcess fake, string workDir, Func<IReadOnlyList<int>> fakePids)
    {
        Scenario scenario = Scenarios.All.First(s => s.Name == "chat-sse-20");
        var figures = new List<RunFigures>();
        foreach (int count in new[] { 0, 1, 2, 3 })
        {
            int seed = FreePort.Next();
            var relays = new List<RelayProcess>();
            try
            {
                for (int i = 0; i < Math.Max(1, count); i++)
                {
                    string hocon = count == 0 ? "" : $$"""
                        akkaproxy.ledger.enabled = false
                        akkaproxy.cluster { enabled = true, hostname = "127.0.0.1", port = {{(i == 0 ? seed : 0)}}, seed-nodes = ["akka.tcp://akkaproxy@127.0.0.1:{{seed}}"] }
                        """;
                    relays.Add(await RelayProcess.StartAsync(RelayProcess.HostDll(options.RepoRoot), fake.BaseUri, "Warning", workDir, options.RelayEnvironment, $"relay-{count}-nodes-{i}", hocon));
                }

                string name = count == 0 ? "1 node, no cluster" : $"{count} node{(count == 1 ? "" : "s")}, cluster";
                Target target = relays[0].AsTarget(name) with
                {
                    Nodes = [.. relays.Select(r => r.BaseUri)],
                    ServerPids = () => [.. relays.Where(r => !r.Process.HasExited).Select(r => r.Process.Pid)],
                };
                await RunOnceAsync(target, scenario, 32, fakePids); // warm-up
                figures.Add(await RunOnceAsync(target, scenario, 32, fakePids));
            }
            finally
            {
                foreach (RelayProcess relay in relays)
                {
                    await relay.DisposeAsync();
                }
            }
        }

        return figures;
    }

    private static async Task<(long Connections, long Misses, long Turns)> StatsAsync(HttpClient fake)
    {
        using var json = System.Text.Json.JsonDocument.Parse(await fake.GetStringAsync("/conv/stats"));
        System.Text.Json.JsonElement root = json.RootElement;
        return (root.GetProperty("connections").GetInt64(), root.GetProperty("misses").GetInt64(), root.GetProperty("turns").GetInt64());
    }

    /// <summary>The relay key the service-costs relays with keys accept.</summary>
    private const string BenchKey = "bench-relay-key";

    /// <summary>
    /// The Chat SSE scenarios at c=32 against four fresh relays, <see cref="HarnessOptions.ServiceRounds"/>
    /// rounds with the order rotating: the ledger on (the default) and off; a relay key without limits and
    /// the same key with a budget and both rate limits, all far too high to refuse, so every request pays
    /// the checks and the accounting. All four price the fake's models, so each computes a cost alike.
    /// One round first warms every process up and is not kept.
    /// </summary>
    private async Task<ServiceCostFigures> ServiceCostsAsync(FakeProcess fake, string workDir, Func<IReadOnlyList<int>> fakePids)
    {
        const string pricing = """akkaproxy.pricing { "fake/*" { input = 2.50, output = 10.00 } }""";
        const string key = $$"""akkaproxy.auth.keys.bench { key = "{{BenchKey}}" }""";
        const string limits = """akkaproxy.auth.keys.bench { requests-per-minute = 100000000, tokens-per-minute = 1000000000000, budget = 1000000000, budget-period = month }""";
        string dll = RelayProcess.HostDll(options.RepoRoot);
        var ledgerOff = new Dictionary<string, string>(options.RelayEnvironment) { ["AKKAPROXY__LEDGER__ENABLED"] = "false" };
        await using RelayProcess on = await RelayProcess.StartAsync(dll, fake.BaseUri, "Warning", workDir, options.RelayEnvironment, ServiceCostFigures.LedgerOn, pricing);
        await using RelayProcess off = await RelayProcess.StartAsync(dll, fake.BaseUri, "Warning", workDir, ledgerOff, ServiceCostFigures.LedgerOff, pricing);
        await using RelayProcess plain = await RelayProcess.StartAsync(dll, fake.BaseUri, "Warning", workDir, options.RelayEnvironment, ServiceCostFigures.KeyPlain, pricing + "\n" + key);
        await using RelayProcess limited = await RelayProcess.StartAsync(dll, fake.BaseUri, "Warning", workDir, options.RelayEnvironment, ServiceCostFigures.KeyLimits, pricing + "\n" + key + "\n" + limits);
        Target[] variants =
        [
            on.AsTarget(ServiceCostFigures.LedgerOn),
            off.AsTarget(ServiceCostFigures.LedgerOff),
            plain.AsTarget(ServiceCostFigures.KeyPlain) with { RelayKey = BenchKey },
            limited.AsTarget(ServiceCostFigures.KeyLimits) with { RelayKey = BenchKey },
        ];
        Scenario[] scenarios = [.. Scenarios.All.Where(s => s.Kind == ScenarioKind.ChatSse && s.KeepAlive && (options.Only is null || options.Only.Contains(s.Name)))];
        await SmokeCheckAsync(scenarios, variants);
        foreach (Scenario scenario in scenarios)
        {
            foreach (Target variant in variants)
            {
                await RunOnceAsync(variant, scenario, 32, fakePids); // a warm-up round, not kept: the first runs of a fresh process are its JIT's
            }
        }

        var runs = new List<RunFigures>();
        for (int round = 0; round < options.ServiceRounds; round++)
        {
            foreach (Scenario scenario in scenarios)
            {
                for (int k = 0; k < variants.Length; k++)
                {
                    RunFigures run = await RunOnceAsync(variants[(k + round) % variants.Length], scenario, 32, fakePids);
                    runs.Add(run);
                    Print(run);
                }
            }
        }

        return new ServiceCostFigures(runs);
    }

    /// <summary>chat-sse-20 at c=32 against the relay at Warning, then against a second relay at Information.</summary>
    private async Task<LoggingFigures> LoggingAsync(RelayProcess relay, FakeProcess fake, string workDir, Func<IReadOnlyList<int>> fakePids)
    {
        Scenario scenario = Scenarios.All.First(s => s.Name == "chat-sse-20");
        await using RelayProcess verbose = await RelayProcess.StartAsync(RelayProcess.HostDll(options.RepoRoot), fake.BaseUri, "Information", workDir, options.RelayEnvironment);
        RunFigures warning = await RunOnceAsync(relay.AsTarget(), scenario, 32, fakePids);
        RunFigures information = await RunOnceAsync(verbose.AsTarget("relay-information"), scenario, 32, fakePids);
        Print(warning);
        Print(information);
        return new LoggingFigures(warning, information, new FileInfo(verbose.LogFile).Length);
    }

    /// <summary>
    /// A fresh relay of the build <paramref name="dll"/> (so earlier load has not already grown its heap):
    /// RSS after a small warm-up, then with <see cref="HarnessOptions.Sockets"/> sockets open and one
    /// turn done on each, both after a pause.
    /// </summary>
    private async Task<IdleSocketFigures> IdleSocketsAsync(string build, string dll, FakeProcess fake, string workDir)
    {
        TimeSpan settle = TimeSpan.FromSeconds(5);
        var scenario = new Scenario("websocket-20", ScenarioKind.WebSocket, 20);
        await using RelayProcess fresh = await RelayProcess.StartAsync(dll, fake.BaseUri, "Warning", workDir, options.RelayEnvironment, build);
        Target target = fresh.AsTarget(build + "-fresh");
        await using (var warm = new WebSocketLoadRun(target, scenario, 16))
        {
            await warm.PrepareAsync();
            for (int i = 0; i < 3; i++)
            {
                await warm.OneTurnEachAsync();
            }
        }

        long? heapBefore = await GcTrigger.CollectAsync(fresh.Process.Pid, TimeSpan.FromSeconds(1));
        await GcDump.WriteAsync(options.GcDumpDirectory, fresh.Process.Pid, build + "-before");
        await Task.Delay(settle);
        double before = ProcStats.RssKiB(fresh.Process.Pid) / 1024.0;
        var many = new WebSocketLoadRun(target, scenario, options.Sockets, connectParallelism: 64);
        int opened, ok;
        double after;
        long? heapAfter;
        try
        {
            await many.PrepareAsync();
            opened = many.Clients.Count;
            ok = await many.OneTurnEachAsync();
            heapAfter = await GcTrigger.CollectAsync(fresh.Process.Pid, TimeSpan.FromSeconds(1));
            await GcDump.WriteAsync(options.GcDumpDirectory, fresh.Process.Pid, build + "-open");
            await Task.Delay(settle);
            after = ProcStats.RssKiB(fresh.Process.Pid) / 1024.0;
        }
        finally
        {
            await many.DisposeAsync();
        }

        await GcTrigger.CollectAsync(fresh.Process.Pid, TimeSpan.FromSeconds(1));
        await Task.Delay(settle);
        double afterClose = ProcStats.RssKiB(fresh.Process.Pid) / 1024.0;

        // The same again on the same relay: its pools and GC have already grown for this many sockets,
        // so this delta is what the open sockets themselves hold.
        var again = new WebSocketLoadRun(target, scenario, options.Sockets, connectParallelism: 64);
        double secondAfter;
        int secondOpened;
        try
        {
            await again.PrepareAsync();
            secondOpened = again.Clients.Count;
            await again.OneTurnEachAsync();
            await GcTrigger.CollectAsync(fresh.Process.Pid, TimeSpan.FromSeconds(1));
            await Task.Delay(settle);
            secondAfter = ProcStats.RssKiB(fresh.Process.Pid) / 1024.0;
        }
        finally
        {
            await again.DisposeAsync();
        }

        return new IdleSocketFigures(build, options.Sockets, opened, ok, before, after, afterClose, heapBefore, heapAfter, settle.TotalSeconds)
        {
            SecondOpened = secondOpened,
            SecondRssAfterMiB = secondAfter,
        };
    }

    /// <summary>Each target once per round, the first of each round one further along than the round before.</summary>
    private static IEnumerable<(int Round, Target Target)> Rotated(Target[] targets, int rounds)
    {
        for (int round = 0; round < Math.Max(1, rounds); round++)
        {
            for (int k = 0; k < targets.Length; k++)
            {
                yield return (round, targets[(k + round) % targets.Length]);
            }
        }
    }

    private static void Print(RunFigures run)
    {
        LoadResult load = run.Load;
        string server = run.Server.IsMeasured ? $"cpu {run.Server.CpuSeconds,5:0.00} s rss {run.Server.PeakRssMiB,6:0.0} MiB" : "";
        string allocated = double.IsFinite(run.AllocatedPerRequest) ? $"alloc {run.AllocatedPerRequest,7:N0} B/req" : "";
        Log($"{run.Scenario,-18} c={run.Concurrency,-3} {run.Target,-12} {load.PerSecond,9:N0} req/s  p50 {load.P50Ms,7:0.000}  p99 {load.P99Ms,7:0.000}  ttfb {load.TtfbP50Ms,7:0.000} ms  err {load.Errors}  {server}  {allocated}  fake cpu {run.Fake.CpuSeconds:0.00} client cpu {run.Client.CpuSeconds:0.00} other {run.OtherShare:P0} {load.FirstError}");
    }

    private static void Log(string line) =>
        Console.WriteLine($"[{DateTime.Now.ToString("HH:mm:ss", CultureInfo.InvariantCulture)}] {line}");
}
