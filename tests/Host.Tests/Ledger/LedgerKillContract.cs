using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Supervision;

namespace AkkaProxy.Host.Tests.Ledger;

/// <summary>
/// The kill test, on each store (<see cref="SqliteLedgerKillTests"/>, <see cref="PostgresLedgerKillTests"/>):
/// the built host, under load, killed with SIGKILL, restarted on the same storage. Nothing the ledger
/// had acknowledged is missing, nothing is counted twice, and every row is a request the upstream answered.
/// </summary>
public abstract class LedgerKillContract : IAsyncLifetime
{
    private const int Clients = 8;
    private readonly string _directory = RelayTestHost.NewDataDirectory();
    private FakeUpstream _upstream = null!;

    /// <summary>This test's own directory (the host's working directory, the SQLite ledger's parent).</summary>
    protected string Directory => _directory;

    /// <summary>HOCON that points the host's ledger at this test's storage (appended to the test configuration).</summary>
    protected abstract string LedgerHocon { get; }

    /// <summary>Creates this test's storage.</summary>
    protected virtual Task CreateStorageAsync() => Task.CompletedTask;

    /// <summary>Deletes it.</summary>
    protected virtual Task DeleteStorageAsync() => Task.CompletedTask;

    /// <summary>Every stored row, by request id.</summary>
    protected abstract Task<Dictionary<string, Dictionary<string, object?>>> ReadRowsAsync();

    public async Task InitializeAsync()
    {
        await CreateStorageAsync();
        _upstream = await FakeUpstream.StartAsync();
    }

    [Fact]
    public async Task KilledUnderLoad_TheLedgerKeepsEveryAcknowledgedRecord_Once()
    {
        string config = Path.Combine(_directory, "relay.conf");
        await File.WriteAllTextAsync(config, RelayTestHost.Hocon(_upstream, """
            Logging.LogLevel."Microsoft.Hosting.Lifetime" = Information
            """ + "\n" + LedgerHocon, Path.Combine(_directory, "ledger")));
        var answered = new ConcurrentBag<string>();
        long acknowledgedBeforeKill;
        await using (HostProcess first = await HostProcess.StartAsync(config, _directory))
        {
            using var client = new HttpClient { BaseAddress = first.BaseUrl };
            using var load = new CancellationTokenSource();
            Task[] clients = [.. Enumerable.Range(0, Clients).Select(_ => DriveAsync(client, answered, load.Token))];

            acknowledgedBeforeKill = await AcknowledgedAtLeastAsync(client, 200);
            await first.KillAsync(); // mid-load: requests are in flight, records queued
            load.Cancel();
            await Task.WhenAll(clients);
        }

        await using (HostProcess second = await HostProcess.StartAsync(config, _directory))
        {
            using var client = new HttpClient { BaseAddress = second.BaseUrl };
            Dictionary<string, Dictionary<string, object?>> rows = await ReadRowsAsync();

            Assert.True(rows.Count >= acknowledgedBeforeKill, $"{rows.Count} rows, but {acknowledgedBeforeKill} were acknowledged before the kill");
            Assert.True(rows.Count <= _upstream.RequestsStarted, $"{rows.Count} rows for {_upstream.RequestsStarted} upstream requests");
            Assert.All(rows.Values, row => Assert.Equal("completed", row["outcome"])); // whole records, each a finished request
            Assert.NotEmpty(answered);

            // The restarted relay records again, on the same file.
            using HttpResponseMessage response = await client.SendAsync(Chat());
            response.EnsureSuccessStatusCode();
            string requestId = response.Headers.GetValues(HttpRelay.RequestIdHeader).Single();
            await AcknowledgedAtLeastAsync(client, 1);
            Assert.True((await ReadRowsAsync()).ContainsKey(requestId), "the restarted relay's record is in the ledger once acknowledged");
        }
    }

    public async Task DisposeAsync()
    {
        await _upstream.DisposeAsync();
        System.IO.Directory.Delete(_directory, recursive: true);
        await DeleteStorageAsync();
    }

    private static async Task DriveAsync(HttpClient client, ConcurrentBag<string> answered, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using HttpResponseMessage response = await client.SendAsync(Chat(), stop);
                await response.Content.ReadAsByteArrayAsync(stop);
                if (response.IsSuccessStatusCode)
                {
                    answered.Add(response.Headers.GetValues(HttpRelay.RequestIdHeader).Single());
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
            {
                // The host was killed.
            }
        }
    }

    /// <summary>Asks the relay until its ledger has acknowledged <paramref name="count"/> records (a state the test observes, not a timing).</summary>
    internal static async Task<long> AcknowledgedAtLeastAsync(HttpClient client, long count)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            bound.Token.ThrowIfCancellationRequested();
            long acknowledged = (await LedgerStateAsync(client)).GetProperty("acknowledged").GetInt64();
            if (acknowledged >= count)
            {
                return acknowledged;
            }

            await Task.Yield();
        }
    }

    private static async Task<JsonElement> LedgerStateAsync(HttpClient client)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/ledger");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", RelayTestHost.AdminKey);
        using HttpResponseMessage response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>A chat request with the test relay key, as the kill tests send it.</summary>
    internal static HttpRequestMessage Chat()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"openai/gpt-4o","messages":[]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", RelayTestHost.RelayKey);
        return request;
    }
}
