using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using AkkaProxy.LoadHarness.Targets;

namespace AkkaProxy.LoadHarness.Load;

/// <summary>
/// Tool-calling conversations through one relay, all at once: each conversation sends
/// <paramref name="turns"/> streaming <c>POST /v1/responses</c> in turn, each continuing the previous
/// response (<c>previous_response_id</c>) with the output of the tool it called, and measures each
/// turn's time to first event: from the request sent to the first byte of the SSE body. With several
/// targets (relay nodes behind a round-robin), turn t of a conversation goes to target t mod n, so every
/// continuation lands on another node than the turn before it.
/// </summary>
public sealed partial class ConversationRun(IReadOnlyList<Target> targets, int conversations, int turns)
{
    public ConversationRun(Target target, int conversations, int turns)
        : this([target], conversations, turns)
    {
    }

    /// <summary>Time to first event in ms, per conversation and turn.</summary>
    public async Task<double[][]> RunAsync(CancellationToken cancellationToken)
    {
        using var client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan, UseProxy = false })
        {
            Timeout = TimeSpan.FromSeconds(60),
        };
        Task<double[]>[] running = [.. Enumerable.Range(0, conversations).Select(c => ConverseAsync(client, c, cancellationToken))];
        return await Task.WhenAll(running);
    }

    private async Task<double[]> ConverseAsync(HttpClient client, int conversation, CancellationToken cancellationToken)
    {
        var ttfe = new double[turns];
        string? previous = null;
        for (int turn = 0; turn < turns; turn++)
        {
            string continuation = previous is null ? "" : $",\"previous_response_id\":\"{previous}\"";
            string input = previous is null
                ? $$"""[{"role":"user","content":"Conversation {{conversation}}: plan my week in Paris, checking the weather each day."}]"""
                : $$$"""[{"type":"function_call_output","call_id":"call_{{{previous}}}","output":"{\"temperature\":{{{12 + turn}}}}"}]""";
            Target target = targets[turn % targets.Count];
            string body = "{\"model\":\"" + target.Model("gpt-4o") + "\",\"stream\":true,\"store\":true," + Tools + "\"input\":" + input + continuation + "}";
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(target.BaseUri, "/v1/responses")) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            long sent = Stopwatch.GetTimestamp();
            using HttpResponseMessage response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"{target.Name}: turn {turn + 1} of conversation {conversation} got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
            }

            await using Stream stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            byte[] buffer = new byte[16 * 1024];
            var text = new StringBuilder();
            int read = await stream.ReadAsync(buffer, cancellationToken);
            ttfe[turn] = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
            while (read > 0)
            {
                text.Append(Encoding.UTF8.GetString(buffer, 0, read));
                read = await stream.ReadAsync(buffer, cancellationToken);
            }

            string events = text.ToString();
            previous = CompletedId().Match(events) is { Success: true } match
                ? match.Groups[1].Value
                : throw new InvalidOperationException($"{target.Name}: turn {turn + 1} of conversation {conversation} ended without response.completed: {events[..Math.Min(400, events.Length)]}");
        }

        return ttfe;
    }

    private const string Tools = "\"tools\":[{\"type\":\"function\",\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}],";

    [GeneratedRegex("\"type\":\"response\\.completed\".*?\"response\":\\{\"id\":\"(resp_[a-z0-9]+)\"")]
    private static partial Regex CompletedId();
}
