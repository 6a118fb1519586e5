using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using AkkaProxy.Cluster.Limits;
using AkkaProxy.Hosting.Auth;
using AkkaProxy.Hosting.Configuration;
using AkkaProxy.Pipeline.Admission;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Usage;

namespace AkkaProxy.Benchmarks;

/// <summary>
/// What a relay key's limits check costs per request (<c>--limits-probe</c>): on one node (the
/// process's own count), and on three cluster nodes in this process (remoting over loopback TCP, the
/// key's entity on one of them) with the leases as built and with a round trip to the entity for every
/// request. Each admission is timed from the call to its answer; c callers admit (and bill) in a loop.
/// </summary>
internal static class ClusterLimitsProbe
{
    private const int Concurrency = 32;
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(10);

    public static async Task RunAsync()
    {
        var key = new RelayKeyOptions { Id = "bench", RequestsPerMinute = 1_000_000_000, Budget = 1_000_000m, BudgetPeriod = BudgetPeriod.Month };
        Console.WriteLine($"c = {Concurrency}, {Duration.TotalSeconds:0} s per row; each admission then billed (0.0004, 100 tokens)");
        Console.WriteLine("| Check | Admissions/s | p50 | p99 | p99.9 | max | round trips |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");

        var account = new KeyAccount(key, DateTimeOffset.UtcNow);
        var policy = new Func<ValueTask<AdmissionRefusal?>>(() => new(account.Count(DateTimeOffset.UtcNow)));
        await RowAsync("one node (KeyAccount)", [policy], record => account.Billed(record, DateTimeOffset.UtcNow), () => 0);

        foreach (bool share in new[] { true, false })
        {
            await using var cluster = await ThreeNodes.StartAsync(key, share);
            Func<ValueTask<AdmissionRefusal?>>[] admit = [.. cluster.Limits.Select(l => new Func<ValueTask<AdmissionRefusal?>>(() => l.AdmitAsync(key, default)))];
            int next = 0;
            await RowAsync(share ? "3 nodes, leases" : "3 nodes, a round trip per request", admit,
                record => cluster.Limits[Interlocked.Increment(ref next) % 3].Billed(key, record), () => cluster.Asks);
        }
    }

    private static async Task RowAsync(string name, Func<ValueTask<AdmissionRefusal?>>[] nodes, Action<BillingRecord> bill, Func<long> asks)
    {
        BillingRecord record = Record();
        // Warm-up: leases granted, JIT done.
        for (int i = 0; i < 2000; i++)
        {
            await nodes[i % nodes.Length]();
        }

        long asksBefore = asks();
        var samples = new List<long>[Concurrency];
        var stopAt = Stopwatch.GetTimestamp() + (long)(Duration.TotalSeconds * Stopwatch.Frequency);
        long started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(c => Task.Run(async () =>
        {
            var mine = samples[c] = new List<long>(200_000);
            Func<ValueTask<AdmissionRefusal?>> admit = nodes[c % nodes.Length];
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                long t0 = Stopwatch.GetTimestamp();
                if (await admit() is { } refusal)
                {
                    throw new InvalidOperationException($"{name}: refused {refusal.Code}");
                }

                mine.Add(Stopwatch.GetTimestamp() - t0);
                bill(record);
                await Task.Yield(); // the request's own work would be here
            }
        })));
        double seconds = (Stopwatch.GetTimestamp() - started) / (double)Stopwatch.Frequency;
        long[] all = [.. samples.SelectMany(s => s)];
        Array.Sort(all);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {all.Length / seconds:N0} | {Micro(all, 0.50)} | {Micro(all, 0.99)} | {Micro(all, 0.999)} | {Micro(all, 1.0)} | {asks() - asksBefore:N0} |"));
    }

    private static string Micro(long[] sorted, double quantile)
    {
        long ticks = sorted[Math.Min(sorted.Length - 1, (int)(quantile * sorted.Length))];
        double us = ticks * 1_000_000.0 / Stopwatch.Frequency;
        return us >= 1000 ? string.Create(CultureInfo.InvariantCulture, $"{us / 1000:0.00} ms") : string.Create(CultureInfo.InvariantCulture, $"{us:0.0} µs");
    }

    private static BillingRecord Record() => new()
    {
        RequestId = "bench",
        KeyId = "bench",
        Api = ApiKind.ChatCompletions,
        Provider = "openai",
        RequestedModel = "gpt-4o",
        UpstreamModel = "gpt-4o",
        Streaming = false,
        Usage = new TokenUsage { InputTokens = 60, OutputTokens = 40 },
        Cost = 0.0004m,
        Outcome = ExchangeOutcome.Completed,
        EndedBy = EndedBy.Upstream,
        StartedAt = DateTimeOffset.UtcNow,
        Duration = TimeSpan.FromMilliseconds(5),
    };

    /// <summary>Three actor systems as cluster nodes on loopback, each with the key limits' shard region, keeper and shared limits.</summary>
    private sealed class ThreeNodes : IAsyncDisposable
    {
        private readonly List<ActorSystem> _systems = [];
        private long _asks;

        public List<ShardedKeyLimits> Limits { get; } = [];

        public long Asks => Interlocked.Read(ref _asks);

        public static async Task<ThreeNodes> StartAsync(RelayKeyOptions key, bool share)
        {
            var nodes = new ThreeNodes();
            int seed = FreePort();
            for (int i = 0; i < 3; i++)
            {
                Config config = ConfigurationFactory.ParseString($$"""
                    akka.loglevel = WARNING
                    akka.actor.provider = cluster
                    akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = {{(i == 0 ? seed : 0)}} }
                    akka.cluster { seed-nodes = ["akka.tcp://akkaproxy@127.0.0.1:{{seed}}"], roles = [relay] }
                    """).WithFallback(ConfigurationFactory.ParseString(KeyLimitsSharding.SerializationHocon)).WithFallback(ClusterSharding.DefaultConfig());
                ActorSystem system = ActorSystem.Create("akkaproxy", config);
                nodes._systems.Add(system);
                IActorRef region = await ClusterSharding.Get(system).StartAsync(KeyLimitsSharding.TypeName,
                    id => KeyLimitsEntity.Props(id, key, null, TimeProvider.System, TimeSpan.FromSeconds(1), share),
                    ClusterShardingSettings.Create(system).WithRole("relay"), new KeyLimitsSharding.KeyLimitsExtractor(64));
                IActorRef counting = system.ActorOf(Props.Create(() => new CountingForwarder(region, nodes)));
                var limits = new ShardedKeyLimits(TimeProvider.System);
                limits.Attach(system.ActorOf(KeyLeaseKeeper.Props(counting, limits, TimeSpan.FromSeconds(5))));
                nodes.Limits.Add(limits);
            }

            foreach (ActorSystem system in nodes._systems)
            {
                var cluster = Akka.Cluster.Cluster.Get(system);
                while (cluster.State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up) < 3)
                {
                    await Task.Delay(50);
                }
            }

            return nodes;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (ActorSystem system in Enumerable.Reverse(_systems))
            {
                await system.Terminate();
            }
        }

        /// <summary>The keeper's way to the region, counting the asks.</summary>
        private sealed class CountingForwarder : ReceiveActor
        {
            public CountingForwarder(IActorRef region, ThreeNodes nodes) => ReceiveAny(message =>
            {
                if (message is LeaseAsk)
                {
                    Interlocked.Increment(ref nodes._asks);
                }

                region.Forward(message);
            });
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
