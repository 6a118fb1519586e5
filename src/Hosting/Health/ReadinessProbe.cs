namespace AkkaProxy.Hosting.Health;

/// <summary>
/// <c>--check-ready [url]</c>: asks a running relay's <c>/readyz</c> and exits 0 when it answers 200,
/// 1 otherwise (unreachable, not ready, or no answer within 5 s), printing what it got. The
/// Dockerfile's <c>HEALTHCHECK</c> runs it, since the runtime image has no curl.
/// </summary>
internal static class ReadinessProbe
{
    public static async Task<int> RunAsync(string url)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using HttpResponseMessage response = await client.GetAsync(url).ConfigureAwait(false);
            Console.WriteLine($"{url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync().ConfigureAwait(false)}");
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or UriFormatException or InvalidOperationException)
        {
            Console.WriteLine($"{url}: {ex.Message}");
            return 1;
        }
    }
}
