using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace AkkaProxy.Pipeline.Transport;

/// <summary>
/// Writes a refusal as one whole HTTP response: the status, the JSON error body with its
/// <c>Content-Length</c> (never chunked: a WebSocket client that gets a refused upgrade prints the
/// body as it came, chunk sizes and all), and <c>x-should-retry: false</c> where retrying the same
/// request cannot succeed. The OpenAI and Anthropic SDKs read that header before their own rules,
/// which retry every 429 and 5xx, so without it a client retries a spent budget or a missing
/// provider key until its attempts run out.
/// </summary>
internal static class ErrorResponses
{
    /// <summary>The header the official SDKs read to decide whether to retry.</summary>
    public const string ShouldRetryHeader = "x-should-retry";

    /// <summary>
    /// Whether a refusal may succeed when retried unchanged, as the header says it; null leaves the
    /// client to its own rules (a rate limit with <c>Retry-After</c>, a shutdown, an upstream failure).
    /// </summary>
    public static bool? ShouldRetry(int status, string code) => code switch
    {
        // Retrying helps: the limit's window passes, another node takes the request, the upstream recovers.
        "rate_limit_exceeded" or "relay_shutting_down" => null,
        // Nothing changes until the period ends or an operator acts (Retry-After says when, for a budget).
        "budget_exceeded" or "provider_key_missing" => false,
        _ => status switch
        {
            StatusCodes.Status408RequestTimeout or StatusCodes.Status409Conflict or StatusCodes.Status429TooManyRequests => null,
            >= 400 and < 500 => false, // the request or its key is wrong: the same request fails the same way
            _ => null,
        },
    };

    /// <summary>Writes <paramref name="body"/> as the response; does nothing once the response has started.</summary>
    public static Task WriteAsync(HttpResponse response, int status, string code, byte[] body, CancellationToken cancellationToken)
    {
        if (response.HasStarted)
        {
            return Task.CompletedTask;
        }

        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength = body.Length;
        if (ShouldRetry(status, code) is bool retry)
        {
            response.Headers[ShouldRetryHeader] = retry ? "true" : "false";
        }

        return response.Body.WriteAsync(body, cancellationToken).AsTask();
    }

    /// <summary>The <c>Retry-After</c> value for <paramref name="after"/>: whole seconds, rounded up, at least 1.</summary>
    public static string RetryAfterSeconds(TimeSpan after) =>
        Math.Max(1, (long)Math.Ceiling(after.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
}
