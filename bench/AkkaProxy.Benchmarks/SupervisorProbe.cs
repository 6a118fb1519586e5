using System.Diagnostics;
using Akka.Actor;
using AkkaProxy.Pipeline;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Streams;
using AkkaProxy.Pipeline.Supervision;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Benchmarks;

/// <summary>
/// What the connection's supervisor costs per request and per connection, in CPU time of the whole
/// process (the caller's thread and the actor's) and bytes allocated on every thread:
/// <c>--supervisor-probe</c>. Per request: the two tells (the exchange's opening and its end) and the
/// record the supervisor makes; per connection: starting the supervisor and its close.
/// </summary>
public static class SupervisorProbe
{
    public static void Run(int connections = 20_000, int requestsPerConnection = 50)
    {
        using ActorSystem system = ActorSystem.Create("probe", "akka.loglevel = WARNING");
        ProxyStreamFactory factory = new ProxyStreamBuilder().Build();
        var router = new ModelRouter(new RoutingOptions
        {
            Providers = { new ProviderOptions { Name = "openai", Kind = ProviderKind.OpenAI, BaseUrl = "http://127.0.0.1:1/v1" } },
        });
        if (!router.TryResolve("openai/gpt-4o", out ProviderRoute route, out string error))
        {
            throw new InvalidOperationException(error);
        }

        var counters = new ConnectionCounters();
        var outlet = new CountingOutlet();
        var verdict = new ExchangeVerdict(ExchangeOutcome.Completed, EndedBy.Upstream, 200, null);
        ProxyRun NewRun() => factory.CreateRun(new ProxyExchange("req_probe", ApiKind.ChatCompletions, route, ReadOnlyMemory<byte>.Empty, isStreaming: true, DateTimeOffset.UnixEpoch));

        // Warm-up, then the measured rounds.
        for (int round = 0; round < 4; round++)
        {
            bool measured = round > 0;
            int n = measured ? connections : 2_000;
            (double cpu, double bytes) = Measure(() =>
            {
                for (int i = 0; i < n; i++)
                {
                    var scope = new ConnectionScope();
                    IActorRef supervisor = ConnectionSupervisor.Start(system, scope, outlet, PricingTable.Empty, TimeProvider.System, counters);
                    supervisor.Tell(ConnectionSupervisor.Close.Instance);
                }

                Wait(() => counters.OpenConnections == 0);
            });
            if (measured)
            {
                Console.WriteLine($"connection (start + close): {cpu / n * 1e6:F2} µs CPU, {bytes / n:F0} B");
            }

            var scopeForRequests = new ConnectionScope();
            IActorRef one = ConnectionSupervisor.Start(system, scopeForRequests, outlet, PricingTable.Empty, TimeProvider.System, counters);
            int requests = measured ? connections * requestsPerConnection / 10 : 2_000;
            ProxyRun[] runs = [.. Enumerable.Range(0, requests).Select(_ => NewRun())];
            long billedBefore = outlet.Emitted;
            (cpu, bytes) = Measure(() =>
            {
                foreach (ProxyRun run in runs)
                {
                    one.Tell(new ConnectionSupervisor.ExchangeOpened(run));
                    counters.EndTold();
                    one.Tell(new ConnectionSupervisor.ExchangeEnded(run, verdict, HoldsCredit: false));
                }

                Wait(() => outlet.Emitted - billedBefore == requests);
            });
            if (measured)
            {
                Console.WriteLine($"request (opened + ended + record), a busy mailbox: {cpu / requests * 1e6:F2} µs CPU, {bytes / requests:F0} B");
            }

            // Paced, as handlers tell in the relay: one exchange every 100 µs, so the actor's mailbox is idle
            // at each tell (it is scheduled on the dispatcher each time). The caller busy-waits, so it burns one
            // core for the wall time; what the process burns beyond that is the actor's side. A control
            // round paces the same without the tells.
            int paced = measured ? 20_000 : 1_000;
            ProxyRun[] pacedRuns = [.. Enumerable.Range(0, paced).Select(_ => NewRun())];
            double withTells = Paced(pacedRuns, run =>
            {
                one.Tell(new ConnectionSupervisor.ExchangeOpened(run));
                counters.EndTold();
                one.Tell(new ConnectionSupervisor.ExchangeEnded(run, verdict, HoldsCredit: false));
            });
            double control = Paced(pacedRuns, _ => { });
            double workItems = Paced(pacedRuns, _ =>
            {
                ThreadPool.UnsafeQueueUserWorkItem(static _ => { }, null);
                ThreadPool.UnsafeQueueUserWorkItem(static _ => { }, null);
            });
            if (measured)
            {
                Console.WriteLine($"request paced every 100 µs (idle mailbox at each tell): {(withTells - control) / paced * 1e6:F2} µs CPU beyond the caller; two empty thread-pool work items instead: {(workItems - control) / paced * 1e6:F2} µs");
            }

            one.Tell(ConnectionSupervisor.Close.Instance);
            Wait(() => counters.OpenConnections == 0);
        }
    }

    /// <summary>CPU seconds of the process beyond the caller's busy core, one call per 100 µs.</summary>
    private static double Paced(ProxyRun[] runs, Action<ProxyRun> each)
    {
        GC.Collect();
        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        long next = 0;
        long step = Stopwatch.Frequency / 10_000;
        foreach (ProxyRun run in runs)
        {
            while (wall.ElapsedTicks < next)
            {
            }

            next += step;
            each(run);
        }

        return (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds - wall.Elapsed.TotalSeconds;
    }

    private static (double CpuSeconds, double Bytes) Measure(Action body)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;
        long bytes = GC.GetTotalAllocatedBytes(precise: true);
        body();
        return ((Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds, GC.GetTotalAllocatedBytes(precise: true) - bytes);
    }

    private static void Wait(Func<bool> done)
    {
        var spin = new SpinWait();
        while (!done())
        {
            spin.SpinOnce();
        }
    }

    private sealed class CountingOutlet : IRecordOutlet
    {
        private long _emitted;

        public long Emitted => Interlocked.Read(ref _emitted);

        public void Emit(BillingRecord record, bool holdsCredit) => Interlocked.Increment(ref _emitted);

        public void ReturnCredit()
        {
        }
    }
}
