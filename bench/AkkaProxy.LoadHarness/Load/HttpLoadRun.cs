using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using AkkaProxy.LoadHarness.Targets;

namespace AkkaProxy.LoadHarness.Load;

/// <summary>
/// <c>c</c> workers, each sending the scenario's request back to back on its pooled keep-alive
/// connection (or, for a scenario without keep-alive, with <c>Connection: close</c> on a new
/// connection each time: the client's connect is inside the latency) and reading every body to its end. Per request: total latency (send to last byte) and
/// time to first body byte. A request counts when it completes inside the measured window with a 2xx
/// status and exactly the bytes the upstream sent; anything else is an error.
/// </summary>
public sealed class HttpLoadRun(HttpMessageInvoker client, Target target, Scenario scenario, int concurrency) : ILoadRun
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    public Task PrepareAsync() => Task.CompletedTask;

    public async Task<LoadResult> RunAsync(LoadPhases phases)
    {
        byte[] body = scenario.RequestBody(target.Model(scenario.BareModel));
        var uri = new Uri(target.BaseUri, scenario.Path);
        int expectedBytes = scenario.Expected.Bytes.Length;
        int events = scenario.Expected.Events;
        var logs = new LatencyLog[concurrency];
        var workers = new Task[concurrency];
        for (int i = 0; i < concurrency; i++)
        {
            LatencyLog log = logs[i] = new LatencyLog();
            Uri worker = target.Nodes.Count == 0 ? uri : new Uri(target.Nodes[i % target.Nodes.Count], scenario.Path); // a round-robin over the nodes, per connection
            workers[i] = Task.Run(() => WorkerAsync(worker, body, expectedBytes, events, phases, log));
        }

        await Task.WhenAll(workers);
        return LoadResult.From(logs, phases.MeasuredSeconds);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task WorkerAsync(Uri uri, byte[] body, int expectedBytes, int events, LoadPhases phases, LatencyLog log)
    {
        byte[] buffer = new byte[16 * 1024];
        while (true)
        {
            long start = Stopwatch.GetTimestamp();
            if (start >= phases.MeasureTo)
            {
                return;
            }

            long firstByte = 0;
            bool ok;
            try
            {
                using var timeout = new CancellationTokenSource(RequestTimeout);
                using var request = new HttpRequestMessage(HttpMethod.Post, uri)
                {
                    Version = HttpVersion.Version11,
                    VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                    Content = new ByteArrayContent(body),
                };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                if (target.RelayKey is string key)
                {
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
                }
                if (!scenario.KeepAlive)
                {
                    request.Headers.ConnectionClose = true;
                }

                using HttpResponseMessage response = await client.SendAsync(request, timeout.Token);
                await using Stream stream = await response.Content.ReadAsStreamAsync(timeout.Token);
                long received = 0;
                int read;
                while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
                {
                    if (received == 0)
                    {
                        firstByte = Stopwatch.GetTimestamp();
                    }

                    received += read;
                }

                ok = response.IsSuccessStatusCode && received == expectedBytes;
                if (!ok)
                {
                    log.AddError($"status {(int)response.StatusCode}, {received} of {expectedBytes} bytes");
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
            {
                log.AddError(ex.GetType().Name + ": " + ex.Message);
                ok = false;
                await Task.Delay(10);
            }

            long end = Stopwatch.GetTimestamp();
            if (ok && end >= phases.MeasureFrom && end <= phases.MeasureTo)
            {
                log.Add(end - start, firstByte - start, events);
            }
        }
    }
}
