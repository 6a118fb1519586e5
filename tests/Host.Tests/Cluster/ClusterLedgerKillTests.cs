using System.Collections.Concurrent;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.Ledger;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Supervision;

namespace AkkaProxy.Host.Tests.Cluster;

/// <summary>
/// Three built hosts as one cluster, every node writing the one PostgreSQL ledger, under load spread
/// over them; one node is killed with SIGKILL mid-load and the others go on. Nothing any node's ledger
/// acknowledged is missing, no record is there twice, every row is a request the upstream answered,
/// and every request the surviving nodes answered is in the ledger.
/// </summary>
public sealed class ClusterLedgerKillTests : IAsyncLifetime
{
    private const int ClientsPerNode = 3;
    private readonly List<string> _directories = [];
    private PostgresTestDatabase _database = null!;
    private FakeUpstream _upstream = null!;

    public async Task InitializeAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync();
        _upstream = await FakeUpstream.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _upstream.DisposeAsync();
        foreach (string directory in _directories)
        {
            Directory.Delete(directory, recursive: true);
        }

        await _database.DisposeAsync();
    }

    [Fact]
    public async Task ANodeKilledUnderLoad_LosesNoAcknowledgedRecord_AndTheOthersRecordEverythingTheyAnswered()
    {
        int seedPort = ClusterNodes.FreePort();
        var nodes = new List<HostProcess>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                nodes.Add(await StartNodeAsync(i == 0 ? seedPort : 0, seedPort));
            }

            var answered = new ConcurrentDictionary<string, int>[3];
            using var stopLoad = new CancellationTokenSource();
            var clients = new List<Task>();
            for (int i = 0; i < 3; i++)
            {
                answered[i] = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
                var http = new HttpClient { BaseAddress = nodes[i].BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
                for (int c = 0; c < ClientsPerNode; c++)
                {
                    clients.Add(DriveAsync(http, answered[i], stopLoad.Token));
                }
            }

            // Mid-load, once every node's ledger has acknowledged some: node 1 dies at once.
            long[] before = new long[3];
            for (int i = 0; i < 3; i++)
            {
                before[i] = await AcknowledgedAtLeastAsync(nodes[i].BaseUrl, 50);
            }

            await nodes[1].KillAsync();
            long killedAcknowledged = before[1];

            // The others go on: each acknowledges more after the kill.
            await AcknowledgedAtLeastAsync(nodes[0].BaseUrl, before[0] + 100);
            await AcknowledgedAtLeastAsync(nodes[2].BaseUrl, before[2] + 100);
            stopLoad.Cancel(); // each client finishes the request it is in, then stops
            await Task.WhenAll(clients);

            // Everything the survivors answered reaches the ledger.
            HashSet<string> survivors = [.. answered[0].Keys, .. answered[2].Keys];
            Dictionary<string, Dictionary<string, object?>> rows = [];
            using (var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
            {
                while (!survivors.IsSubsetOf((rows = await _database.ReadRowsAsync()).Keys))
                {
                    await Task.Delay(100, bound.Token);
                }
            }

            long total = Convert.ToInt64(await _database.ScalarAsync("SELECT count(*) FROM usage_records"));
            long distinct = Convert.ToInt64(await _database.ScalarAsync("SELECT count(DISTINCT request_id) FROM usage_records"));
            Assert.Equal(distinct, total); // no record twice
            int fromKilled = rows.Keys.Count(id => !survivors.Contains(id));
            Assert.True(fromKilled >= killedAcknowledged, $"{fromKilled} rows of the killed node, but its ledger had acknowledged {killedAcknowledged}");
            Assert.True(rows.Count <= _upstream.RequestsStarted, $"{rows.Count} rows for {_upstream.RequestsStarted} upstream requests");
            Assert.All(rows.Values, row => Assert.Equal("completed", row["outcome"]));
        }
        finally
        {
            foreach (HostProcess node in Enumerable.Reverse(nodes))
            {
                await node.DisposeAsync();
            }
        }
    }

    private async Task<HostProcess> StartNodeAsync(int port, int seedPort)
    {
        string directory = RelayTestHost.NewDataDirectory();
        _directories.Add(directory);
        string config = Path.Combine(directory, "relay.conf");
        await File.WriteAllTextAsync(config, RelayTestHost.Hocon(_upstream, $$"""
            Logging.LogLevel."Microsoft.Hosting.Lifetime" = Information
            akkaproxy.ledger { store = postgresql, connection-string = "{{_database.ConnectionString}}" }
            akkaproxy.cluster { enabled = true, hostname = "127.0.0.1", port = {{port}}, seed-nodes = ["akka.tcp://akkaproxy@127.0.0.1:{{seedPort}}"], down-stable-after = 5s }
            """, Path.Combine(directory, "ledger")));
        return await HostProcess.StartAsync(config, directory);
    }

    /// <summary>Requests until told to stop, never cancelling one midway (a survivor's answered requests are whole).</summary>
    private static async Task DriveAsync(HttpClient http, ConcurrentDictionary<string, int> answered, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using HttpResponseMessage response = await http.SendAsync(Chat());
                await response.Content.ReadAsByteArrayAsync();
                if (response.IsSuccessStatusCode)
                {
                    answered[response.Headers.GetValues(HttpRelay.RequestIdHeader).Single()] = 0;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
            {
                await Task.Yield(); // the node was killed: its clients find it gone until they stop
            }
        }
    }

    private static async Task<long> AcknowledgedAtLeastAsync(Uri node, long count)
    {
        using var http = new HttpClient { BaseAddress = node };
        return await LedgerKillContract.AcknowledgedAtLeastAsync(http, count);
    }

    private static HttpRequestMessage Chat() => LedgerKillContract.Chat();
}
