namespace AkkaProxy.LoadHarness.Targets;

/// <summary>Waits until <c>GET /healthz</c> answers 200 (bounded: gives up after the timeout or when the process exits).</summary>
public static class ReadyProbe
{
    public static async Task WaitAsync(Uri baseUri, ChildProcess process, TimeSpan timeout, Func<string> diagnostics)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        DateTime deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{process.Name} exited with code {process.Process.ExitCode} before it was ready.\n{diagnostics()}");
            }

            try
            {
                using HttpResponseMessage response = await http.GetAsync(new Uri(baseUri, "/healthz"));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{process.Name} was not ready within {timeout.TotalSeconds:0} s.\n{diagnostics()}");
    }
}
