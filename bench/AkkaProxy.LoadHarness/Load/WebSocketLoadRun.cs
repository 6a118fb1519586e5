using System.Diagnostics;
using AkkaProxy.LoadHarness.Targets;

namespace AkkaProxy.LoadHarness.Load;

/// <summary>
/// <c>c</c> sockets, opened before the clock starts (at most <paramref name="connectParallelism"/>
/// handshakes at a time), each running turns back to back. A turn counts when it completes inside the
/// measured window with exactly the scenario's events; latency is send to <c>response.completed</c>,
/// time to first byte is send to the first event.
/// </summary>
public sealed class WebSocketLoadRun(Target target, Scenario scenario, int concurrency, int connectParallelism = 32) : ILoadRun
{
    private static readonly TimeSpan TurnTimeout = TimeSpan.FromSeconds(30);
    private WebSocketTurnClient?[] _clients = [];
    private string? _connectError;
    private int _connectErrors;

    public IReadOnlyList<WebSocketTurnClient> Clients => [.. _clients.OfType<WebSocketTurnClient>()];

    public async Task PrepareAsync()
    {
        _clients = new WebSocketTurnClient?[concurrency];
        using var gate = new SemaphoreSlim(connectParallelism);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async i =>
        {
            await gate.WaitAsync(timeout.Token);
            try
            {
                _clients[i] = await WebSocketTurnClient.ConnectAsync(target.WebSocketUri, timeout.Token);
            }
            catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or OperationCanceledException or IOException or HttpRequestException)
            {
                Interlocked.Increment(ref _connectErrors);
                _connectError ??= "connect: " + ex.Message;
            }
            finally
            {
                gate.Release();
            }
        }));
    }

    /// <summary>Runs one turn on every open socket at once (used to bring the idle sockets to a known state).</summary>
    public async Task<int> OneTurnEachAsync()
    {
        byte[] request = scenario.RequestBody(target.Model(scenario.BareModel));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        int[] ok = new int[1];
        await Task.WhenAll(Clients.Select(async client =>
        {
            try
            {
                TurnResult turn = await client.RunTurnAsync(request, timeout.Token);
                if (turn.Events == scenario.Expected.Events)
                {
                    Interlocked.Increment(ref ok[0]);
                }
            }
            catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or OperationCanceledException or IOException)
            {
                // Counted as not ok.
            }
        }));
        return ok[0];
    }

    public async Task<LoadResult> RunAsync(LoadPhases phases)
    {
        byte[] request = scenario.RequestBody(target.Model(scenario.BareModel));
        int events = scenario.Expected.Events;
        var logs = new LatencyLog[concurrency];
        var workers = new List<Task>(concurrency);
        for (int i = 0; i < concurrency; i++)
        {
            LatencyLog log = logs[i] = new LatencyLog();
            WebSocketTurnClient? client = _clients[i];
            if (client is null)
            {
                log.AddError(_connectError ?? "connect failed");
                continue;
            }

            workers.Add(Task.Run(() => WorkerAsync(client, request, events, phases, log)));
        }

        await Task.WhenAll(workers);
        return LoadResult.From(logs, phases.MeasuredSeconds);
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(Clients.Select(c => c.DisposeAsync().AsTask()));
        _clients = [];
    }

    private static async Task WorkerAsync(WebSocketTurnClient client, byte[] request, int events, LoadPhases phases, LatencyLog log)
    {
        while (Stopwatch.GetTimestamp() < phases.MeasureTo)
        {
            TurnResult turn;
            try
            {
                using var timeout = new CancellationTokenSource(TurnTimeout);
                turn = await client.RunTurnAsync(request, timeout.Token);
            }
            catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or OperationCanceledException or IOException)
            {
                log.AddError(ex.GetType().Name + ": " + ex.Message);
                return; // the socket is unusable
            }

            if (turn.Events != events)
            {
                log.AddError($"{turn.Events} of {events} events");
                continue;
            }

            if (turn.Completed >= phases.MeasureFrom && turn.Completed <= phases.MeasureTo)
            {
                log.Add(turn.Completed - turn.Sent, turn.FirstEvent - turn.Sent, events);
            }
        }
    }
}
