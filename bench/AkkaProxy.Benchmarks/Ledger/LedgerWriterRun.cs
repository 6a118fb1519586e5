using System.Diagnostics;
using System.Globalization;
using AkkaProxy.Hosting.Ledger;
using AkkaProxy.Ledger.Postgres;
using AkkaProxy.Ledger.Sqlite;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Usage;
using Microsoft.Extensions.Logging.Abstractions;

namespace AkkaProxy.Benchmarks.Ledger;

/// <summary>
/// <c>--ledger [records] [runs]</c>: records per second the ledger's writer sustains into each store.
/// One producer hands records to a <see cref="LedgerWriter"/> (default options: batches of 256, a
/// 50 ms flush interval, a queue of 4,096, so the producer waits whenever the store falls behind)
/// as fast as the writer takes them; the clock runs from the first record to <c>StopAsync</c>
/// returning, i.e. until the last batch is committed. Stores: a SQLite file in a temporary
/// directory, and, when <c>AKKAPROXY_TEST_POSTGRES</c> names a server (scripts/bench-ledger.sh
/// starts one), PostgreSQL with the store's unnest insert and, for comparison, one INSERT per
/// record in an NpgsqlBatch. Each run writes to fresh storage. CPU is this process's (all threads)
/// and, for PostgreSQL, the server's (its process tree, from /proc, when scripts/with-postgres.sh
/// gave its process id).
/// </summary>
public static class LedgerWriterRun
{
    public static async Task RunAsync(int records, int runs)
    {
        string? server = Environment.GetEnvironmentVariable("AKKAPROXY_TEST_POSTGRES");
        var stores = new List<(string Name, Func<Task<(ILedgerStore Store, Func<Task> Drop)>> Open)>
        {
            ("SQLite file (WAL, synchronous=NORMAL)", OpenSqliteAsync),
        };
        if (server is { Length: > 0 })
        {
            stores.Add(("PostgreSQL, unnest insert (PostgresLedgerStore)", () => OpenPostgresAsync(server, cs => new PostgresLedgerStore(cs))));
            stores.Add(("PostgreSQL, NpgsqlBatch of single-row inserts", () => OpenPostgresAsync(server, cs => new NpgsqlBatchLedgerStore(cs))));
        }
        else
        {
            Console.Error.WriteLine("AKKAPROXY_TEST_POSTGRES is not set: PostgreSQL is not measured (run scripts/bench-ledger.sh).");
        }

        Console.WriteLine($"{records:N0} records per run, {runs} runs per store, {Environment.ProcessorCount} cores, batch size {new LedgerOptions().BatchSize}");
        Console.WriteLine();
        Console.WriteLine("| store | run | records/s | CPU-µs per record, this process | CPU-µs per record, PostgreSQL server | transactions |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach ((string name, Func<Task<(ILedgerStore, Func<Task>)>> open) in stores)
        {
            await MeasureAsync(open, Math.Min(records, 20_000)); // warm-up: JIT, the server's caches
            for (int run = 1; run <= runs; run++)
            {
                (double perSecond, double cpuMicros, double? serverMicros, int batches) = await MeasureAsync(open, records);
                string serverColumn = serverMicros is double micros && name.StartsWith("PostgreSQL", StringComparison.Ordinal) ? micros.ToString("N1", CultureInfo.InvariantCulture) : "";
                Console.WriteLine($"| {name} | {run} | {perSecond:N0} | {cpuMicros:N1} | {serverColumn} | {batches:N0} |");
            }
        }
    }

    private static async Task<(double PerSecond, double CpuMicros, double? ServerCpuMicros, int Batches)> MeasureAsync(Func<Task<(ILedgerStore Store, Func<Task> Drop)>> open, int records)
    {
        (ILedgerStore inner, Func<Task> drop) = await open();
        var store = new CountingStore(inner);
        var writer = new LedgerWriter(store, new LedgerOptions(), TimeProvider.System, NullLogger<LedgerWriter>.Instance);
        await writer.StartAsync(CancellationToken.None);
        BillingRecord[] batch = Records(records);
        GC.Collect();
        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;
        TimeSpan? serverCpu = ServerPid is int pid ? ProcessTreeCpu.Of(pid) : null;
        long start = Stopwatch.GetTimestamp();
        foreach (BillingRecord record in batch)
        {
            await writer.WriteAsync(record, CancellationToken.None);
        }

        await writer.StopAsync(CancellationToken.None);
        TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        serverCpu = ServerPid is int after && ProcessTreeCpu.Of(after) is TimeSpan end ? end - serverCpu : null;
        if (writer.Acknowledged != records || await store.CountAsync(CancellationToken.None) != records)
        {
            throw new InvalidOperationException($"{writer.Acknowledged} of {records} records acknowledged.");
        }

        await store.DisposeAsync();
        await drop();
        return (records / elapsed.TotalSeconds, cpu.TotalMicroseconds / records, serverCpu?.TotalMicroseconds / records, store.Batches);
    }

    /// <summary>The PostgreSQL server's process id, from scripts/with-postgres.sh (its CPU time is read from /proc).</summary>
    private static int? ServerPid =>
        int.TryParse(Environment.GetEnvironmentVariable("AKKAPROXY_TEST_POSTGRES_PID"), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? pid : null;

    /// <summary>Records like the relay's: a time-ordered request id each (as <c>Billing/RequestIds</c> makes), one key, priced.</summary>
    private static BillingRecord[] Records(int count)
    {
        DateTimeOffset start = DateTimeOffset.UtcNow;
        return [.. Enumerable.Range(0, count).Select(i => new BillingRecord
        {
            RequestId = "req_" + Guid.CreateVersion7(start.AddTicks(i)).ToString("N"),
            KeyId = "team-" + (i % 8),
            Api = ApiKind.ChatCompletions,
            Provider = "openai",
            RequestedModel = "openai/gpt-4o",
            UpstreamModel = "gpt-4o",
            ResponseModel = "gpt-4o-2024-08-06",
            ResponseId = "chatcmpl-" + i,
            Streaming = true,
            Usage = new TokenUsage { InputTokens = 1200 + i % 100, CachedInputTokens = 1024, OutputTokens = 300, ReasoningTokens = 0, Status = UsageStatus.Reported },
            Cost = 0.00123456789m,
            Warnings = [],
            Outcome = ExchangeOutcome.Completed,
            EndedBy = EndedBy.Upstream,
            HttpStatus = 200,
            StartedAt = start.AddMilliseconds(i / 10),
            TimeToFirstByte = TimeSpan.FromMilliseconds(180.5),
            Duration = TimeSpan.FromMilliseconds(2400.25),
        })];
    }

    private static Task<(ILedgerStore, Func<Task>)> OpenSqliteAsync()
    {
        string directory = Directory.CreateTempSubdirectory("akkaproxy-ledger-bench-").FullName;
        ILedgerStore store = new SqliteLedgerStore(Path.Combine(directory, "usage.db"));
        return Task.FromResult<(ILedgerStore, Func<Task>)>((store, () =>
        {
            Directory.Delete(directory, recursive: true);
            return Task.CompletedTask;
        }));
    }

    private static async Task<(ILedgerStore, Func<Task>)> OpenPostgresAsync(string server, Func<string, ILedgerStore> create)
    {
        string name = "akkaproxy_bench_" + Guid.NewGuid().ToString("N");
        await ServerAsync(server, $"CREATE DATABASE {name}");
        string connection = new Npgsql.NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
        return (create(connection), () => ServerAsync(server, $"DROP DATABASE {name} WITH (FORCE)"));
    }

    private static async Task ServerAsync(string server, string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(server) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The store, counting the batches (transactions) the writer hands it.</summary>
    private sealed class CountingStore(ILedgerStore inner) : ILedgerStore
    {
        public int Batches { get; private set; }

        public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

        public Task<int> WriteAsync(IReadOnlyList<BillingRecord> batch, CancellationToken cancellationToken)
        {
            Batches++;
            return inner.WriteAsync(batch, cancellationToken);
        }

        public Task<IReadOnlyList<LedgerSummaryRow>> SummarizeAsync(LedgerGrouping by, LedgerRange range, CancellationToken cancellationToken) => inner.SummarizeAsync(by, range, cancellationToken);

        public Task<LedgerPage> QueryAsync(LedgerQuery query, CancellationToken cancellationToken) => inner.QueryAsync(query, cancellationToken);

        public Task<IReadOnlyList<LedgerSeriesPoint>> SeriesAsync(LedgerGrouping by, LedgerBucket bucket, LedgerRange range, CancellationToken cancellationToken) => inner.SeriesAsync(by, bucket, range, cancellationToken);

        public Task<IReadOnlyList<BillingRecord>> MostExpensiveAsync(LedgerRange range, int limit, CancellationToken cancellationToken) => inner.MostExpensiveAsync(range, limit, cancellationToken);

        public Task<IReadOnlyList<LedgerOutcomeCount>> OutcomesAsync(LedgerRange range, CancellationToken cancellationToken) => inner.OutcomesAsync(range, cancellationToken);

        public Task<long> CountAsync(CancellationToken cancellationToken) => inner.CountAsync(cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
