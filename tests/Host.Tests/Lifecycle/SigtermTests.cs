using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using AkkaProxy.Host.Tests.Fakes;
using AkkaProxy.Host.Tests.Ledger;
using AkkaProxy.Host.Tests.TestKit;
using AkkaProxy.Pipeline.Supervision;

namespace AkkaProxy.Host.Tests.Lifecycle;

/// <summary>
/// SIGTERM to the host's own process, as a service manager sends it, with an HTTP stream and a
/// WebSocket turn open: both finish, the socket closes with 1001, the ledger has both records as
/// completed, and the process exits 0.
/// </summary>
public sealed class SigtermTests : IAsyncLifetime
{
    private readonly string _directory = RelayTestHost.NewDataDirectory();
    private FakeUpstream _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FakeUpstream.StartAsync();

    [Fact]
    public async Task Sigterm_DrainsOpenStreamsAndTurns_FlushesTheLedger_AndExitsZero()
    {
        string config = Path.Combine(_directory, "relay.conf");
        string ledger = Path.Combine(_directory, "ledger");
        await File.WriteAllTextAsync(config, RelayTestHost.Hocon(_upstream, """
            Logging.LogLevel."Microsoft.Hosting.Lifetime" = Information
            akkaproxy.shutdown.drain-timeout = 60s
            """, ledger));
        await using HostProcess host = await HostProcess.StartAsync(config, _directory);
        using var client = new HttpClient { BaseAddress = host.BaseUrl };

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"openai/gated","stream":true,"messages":[]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", RelayTestHost.RelayKey);
        using HttpResponseMessage stream = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        string streamId = stream.Headers.GetValues(HttpRelay.RequestIdHeader).Single();
        Task<string> body = stream.Content.ReadAsStringAsync();
        await using RelaySocket socket = await RelaySocket.ConnectAsync(host.BaseUrl);
        await socket.SendAsync("""{"type":"response.create","model":"openai/ws-gated","input":[]}""");
        await socket.ReceiveUntilAsync("response.created");
        await _upstream.Socket.GatedTurnWaiting.Task.WaitAsync(TimeSpan.FromSeconds(20));

        host.Terminate();
        try
        {
            await WaitUntilRefusedAsync(host.BaseUrl); // it stopped accepting: the drain has begun
        }
        catch (OperationCanceledException)
        {
            Assert.Fail("The host kept accepting connections after SIGTERM:\n" + host.SignalState() + string.Join('\n', host.Output));
        }

        _upstream.Gate.Release(100);
        Assert.Contains("data: [DONE]", await body, StringComparison.Ordinal);
        _upstream.Socket.TurnGate.Release();
        await socket.ReceiveUntilAsync("response.completed");
        (WebSocketCloseStatus? status, _) = await socket.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, status);

        Assert.Equal(0, await host.ExitCodeAsync(TimeSpan.FromSeconds(60)));
        Dictionary<string, Dictionary<string, object?>> rows = LedgerRecords.ReadRows(Path.Combine(ledger, "usage.db"));
        Assert.Equal("completed", rows[streamId]["outcome"]);
        Assert.Single(rows.Values, row => (string?)row["requested_model"] == "openai/ws-gated" && (string?)row["outcome"] == "completed");
    }

    /// <summary>Tries new connections until one is refused: the listener closed (a state observed, with a bound).</summary>
    private static async Task WaitUntilRefusedAsync(Uri relay)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            using var tcp = new System.Net.Sockets.TcpClient();
            try
            {
                await tcp.ConnectAsync(relay.Host, relay.Port, bound.Token);
            }
            catch (System.Net.Sockets.SocketException)
            {
                return;
            }

            await Task.Delay(20, bound.Token);
        }
    }

    public async Task DisposeAsync()
    {
        await _upstream.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
