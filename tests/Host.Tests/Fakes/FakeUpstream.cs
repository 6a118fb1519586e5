using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AkkaProxy.Host.Tests.Fakes;

/// <summary>
/// A fake LLM provider on real Kestrel at 127.0.0.1:0, speaking the wire formats of
/// docs/protocol-notes.md. The upstream model name picks the behaviour (see <see cref="Scenario"/>):
/// <c>gpt-4o</c> answers normally; <c>reset</c>, <c>hang</c>, <c>malformed</c>, <c>oversize</c>,
/// <c>truncated</c>, <c>gated</c> (each event after the first waits for <see cref="Gate"/>, then comes after a keep-alive comment),
/// <c>flood</c> (<see cref="FloodEvents"/> deltas of 1 KiB), <c>status-429</c>, <c>status-500</c>, <c>gzip</c>, <c>slow-headers</c> misbehave on purpose;
/// <c>total-only</c> (usage with only <c>total_tokens</c>), <c>after-done</c> (a usage chunk after <c>[DONE]</c>) and
/// <c>headers</c> (cookies, hop-by-hop and account headers) send what some real providers send.
/// A streamed Responses or Messages request that asks for a tool (see <see cref="FakeToolTurns"/>) gets a tool-call round trip.
/// </summary>
public sealed class FakeUpstream : IAsyncDisposable
{
    public const string Text = "Hello from the fake upstream";
    public static readonly string[] Deltas = ["Hello", " from", " the", " fake", " upstream"];

    /// <summary>Deltas of the <c>flood</c> stream: 16 MiB, more than every buffer between the relay and a client.</summary>
    public const int FloodEvents = 16 * 1024;

    private readonly WebApplication _app;
    private int _openStreams;
    private int _started;

    private FakeUpstream(WebApplication app) => _app = app;

    /// <summary>The Responses WebSocket endpoint.</summary>
    public FakeResponsesSocket Socket { get; } = new();

    /// <summary>The Responses WebSocket endpoint the relay's socket pools use (<c>/pool/v1/responses</c>).</summary>
    public FakePooledSocket Pooled { get; } = new();

    /// <summary>Requests received, in order.</summary>
    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>Completes when a request's client (the relay) went away mid-response.</summary>
    public TaskCompletionSource<string> AbortObserved { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes with the model when a <c>slow-headers</c> request was read whole and its headers are being held.</summary>
    public TaskCompletionSource<string> HoldingHeaders { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes with the model when a <c>hang</c> stream has flushed its first events and goes silent.</summary>
    public TaskCompletionSource<string> Hanging { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Releases the next event of a <c>gated</c> stream, one per release.</summary>
    public SemaphoreSlim Gate { get; } = new(0);

    /// <summary>Requests whose handling began (before their body was read).</summary>
    public int RequestsStarted => Volatile.Read(ref _started);

    /// <summary>Responses still being written.</summary>
    public int OpenStreams => Volatile.Read(ref _openStreams);

    public Uri BaseUrl { get; private set; } = null!;

    public static async Task<FakeUpstream> StartAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        WebApplication app = builder.Build();
        var fake = new FakeUpstream(app);
        app.UseWebSockets();
        app.MapGet("/v1/responses", fake.Socket.HandleAsync);
        app.MapGet("/pool/v1/responses", fake.Pooled.HandleAsync);
        app.MapPost("/pool/v1/responses", ctx => fake.HandleAsync(ctx, Api.Responses));
        app.MapPost("/v1/chat/completions", ctx => fake.HandleAsync(ctx, Api.Chat));
        app.MapPost("/v1/responses", ctx => fake.HandleAsync(ctx, Api.Responses));
        app.MapPost("/v1/messages", ctx => fake.HandleAsync(ctx, Api.Messages));
        // Azure OpenAI's two surfaces: deployment URLs (with api-version) and v1.
        app.MapPost("/openai/deployments/{deployment}/chat/completions", ctx => fake.HandleAsync(ctx, Api.Chat));
        app.MapPost("/openai/responses", ctx => fake.HandleAsync(ctx, Api.Responses));
        app.MapPost("/openai/v1/chat/completions", ctx => fake.HandleAsync(ctx, Api.Chat));
        app.MapPost("/openai/v1/responses", ctx => fake.HandleAsync(ctx, Api.Responses));
        app.MapGet("/openai/v1/responses", fake.Socket.HandleAsync);
        app.MapPost("/v1beta/models/{**target}", ctx => FakeGemini.HandleAsync(ctx, fake));
        app.MapPost("/v1/models/{**target}", ctx => FakeGemini.HandleAsync(ctx, fake));
        app.MapPost("/model/{**target}", ctx => FakeBedrock.HandleAsync(ctx, fake));
        await app.StartAsync();
        fake.BaseUrl = new Uri(app.Urls.First());
        return fake;
    }

    public RecordedRequest LastRequest => Requests.Last();

    /// <summary>Records a request an endpoint of the fake's own parsed (see <see cref="FakeGemini"/>).</summary>
    internal void Record(RecordedRequest request)
    {
        Interlocked.Increment(ref _started);
        Requests.Enqueue(request);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext ctx, Api api)
    {
        Interlocked.Increment(ref _started);
        using var body = new MemoryStream();
        await ctx.Request.Body.CopyToAsync(body);
        byte[] bytes = body.ToArray();
        Requests.Enqueue(new RecordedRequest(ctx.Request.Path, ctx.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), bytes) { Query = ctx.Request.QueryString.Value ?? "" });

        using JsonDocument request = JsonDocument.Parse(bytes);
        string model = request.RootElement.GetProperty("model").GetString()!;
        bool stream = request.RootElement.TryGetProperty("stream", out JsonElement s) && s.ValueKind == JsonValueKind.True;
        bool includeUsage = request.RootElement.TryGetProperty("stream_options", out JsonElement so)
            && so.ValueKind == JsonValueKind.Object && so.TryGetProperty("include_usage", out JsonElement iu) && iu.ValueKind == JsonValueKind.True;
        var scenario = new Scenario(model);

        if (scenario.Status is int status)
        {
            ctx.Response.StatusCode = status;
            ctx.Response.Headers["retry-after"] = "7";
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync($$$"""{"error":{"message":"fake {{{status}}} for {{{model}}}","type":"{{{(status == 429 ? "rate_limit_error" : "server_error")}}}","param":null,"code":"fake_{{{status}}}"}}""");
            return;
        }

        if (scenario.Name == "slow-headers")
        {
            HoldingHeaders.TrySetResult(model);
            await Task.Delay(Timeout.Infinite, ctx.RequestAborted).ContinueWith(_ => { });
            return;
        }

        if (scenario.Name == "headers")
        {
            // Response headers of every kind: the relay's header policy decides which reach the client.
            ctx.Response.Headers.SetCookie = new[] { "__cf_bm=upstream-session; Path=/; HttpOnly", "_cfuvid=abc; Path=/" };
            ctx.Response.Headers["Set-Cookie2"] = "legacy=1";
            ctx.Response.Headers["Keep-Alive"] = "timeout=5";
            ctx.Response.Headers["Proxy-Connection"] = "keep-alive";
            ctx.Response.Headers["openai-organization"] = "org-operator-secret";
            ctx.Response.Headers["x-request-id"] = "upstream-req-123";
            ctx.Response.Headers["openai-processing-ms"] = "42";
            ctx.Response.Headers["x-ratelimit-remaining-tokens"] = "9000";
        }

        Interlocked.Increment(ref _openStreams);
        try
        {
            if (!stream)
            {
                await WriteJsonAsync(ctx, api, model, scenario);
                return;
            }

            ctx.Response.ContentType = "text/event-stream";
            ctx.Response.Headers.CacheControl = "no-cache";
            FakeToolTurns.Step? toolStep = api switch
            {
                Api.Responses => FakeToolTurns.ForResponses(request.RootElement),
                Api.Messages => FakeToolTurns.ForMessages(request.RootElement),
                _ => null,
            };
            IReadOnlyList<string> events = api switch
            {
                _ when toolStep is not null && api == Api.Responses => [.. FakeToolTurns.ResponsesEvents(toolStep, $"resp_tool_{Requests.Count}", model).Select(FakeToolTurns.Sse)],
                _ when toolStep is not null => FakeToolTurns.MessagesStream(toolStep, model),
                Api.Chat => FakeStreams.Chat(model, includeUsage),
                Api.Responses => FakeStreams.Responses(model),
                _ => FakeStreams.Messages(model),
            };
            events = scenario.Name switch
            {
                // A legacy OpenAI-compatible server: usage with nothing but total_tokens.
                "total-only" => events.Select(e => e.Replace(FakeStreams.ChatUsage, FakeStreams.TotalOnlyUsage).Replace(FakeStreams.ResponsesUsage, FakeStreams.TotalOnlyUsage)).ToList(),
                // A chunk after [DONE] carrying usage 26 times the real one.
                "after-done" => [.. events, FakeStreams.LateUsageChunk(model)],
                _ => events,
            };
            await WriteEventsAsync(ctx, events, scenario);
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            AbortObserved.TrySetResult(model);
        }
        catch (IOException)
        {
            AbortObserved.TrySetResult(model);
        }
        finally
        {
            Interlocked.Decrement(ref _openStreams);
        }
    }

    private static async Task WriteJsonAsync(HttpContext ctx, Api api, string model, Scenario scenario)
    {
        string json = api switch
        {
            Api.Chat => FakeStreams.ChatJson(model),
            Api.Responses => FakeStreams.ResponsesJson(model),
            _ => FakeStreams.MessagesJson(model),
        };
        if (scenario.Name == "total-only")
        {
            json = json.Replace(FakeStreams.ChatUsage, FakeStreams.TotalOnlyUsage).Replace(FakeStreams.ResponsesUsage, FakeStreams.TotalOnlyUsage);
        }

        ctx.Response.ContentType = "application/json";
        byte[] bytes = Encoding.UTF8.GetBytes(json);
        if (scenario.Name == "gzip")
        {
            using var compressed = new MemoryStream();
            await using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                await gzip.WriteAsync(bytes);
            }

            ctx.Response.Headers.ContentEncoding = "gzip";
            bytes = compressed.ToArray();
        }

        if (scenario.Name == "reset")
        {
            await ctx.Response.Body.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
            await AbortAfterFlushAsync(ctx);
            return;
        }

        await ctx.Response.Body.WriteAsync(bytes);
    }

    private async Task WriteEventsAsync(HttpContext ctx, IReadOnlyList<string> events, Scenario scenario)
    {
        for (int i = 0; i < events.Count; i++)
        {
            bool last = i == events.Count - 1;
            if (i == 3)
            {
                switch (scenario.Name)
                {
                    case "reset":
                        await AbortAfterFlushAsync(ctx);
                        return;
                    case "hang":
                        await ctx.Response.Body.FlushAsync();
                        Hanging.TrySetResult(scenario.Name);
                        await Task.Delay(Timeout.Infinite, ctx.RequestAborted);
                        return;
                    case "malformed":
                        await ctx.Response.WriteAsync("data: {\"id\":\"x\",\"choices\":[{\"delta\":{\"content\":\"oops\"\n\n");
                        break;
                    case "oversize":
                        await ctx.Response.WriteAsync("data: {\"pad\":\"" + new string('x', 2 * 1024 * 1024) + "\"}\n\n");
                        break;
                    case "truncated":
                        await ctx.Response.Body.FlushAsync();
                        return;
                }
            }

            if (scenario.Name == "gated" && i > 0)
            {
                await Gate.WaitAsync(ctx.RequestAborted);
                await ctx.Response.WriteAsync(": keep-alive\n\n", ctx.RequestAborted);
            }

            if (scenario.Name == "flood" && i == 1)
            {
                string pad = new('f', 1000);
                for (int k = 0; k < FloodEvents; k++)
                {
                    await ctx.Response.WriteAsync($$$"""data: {"id":"{{{FakeStreams.ChatId}}}","object":"chat.completion.chunk","created":1694268190,"model":"flood","choices":[{"index":0,"delta":{"content":"{{{k}}}{{{pad}}}"},"finish_reason":null}]}""" + "\n\n", ctx.RequestAborted);
                }
            }

            await ctx.Response.WriteAsync(events[i]);
            if (!last)
            {
                await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
            }
        }
    }

    /// <summary>
    /// Resets the connection after what was written has been read. Kestrel's flush completes when
    /// bytes reach its transport, not the peer, and a reset discards whatever the peer has not read
    /// yet; one second leaves room on a loaded two-core machine (this is the fake's pacing, not an assertion).
    /// </summary>
    private static async Task AbortAfterFlushAsync(HttpContext ctx)
    {
        await ctx.Response.Body.FlushAsync();
        await Task.Delay(TimeSpan.FromSeconds(1));
        ctx.Abort();
    }

    private enum Api
    {
        Chat,
        Responses,
        Messages,
    }

    /// <summary>A behaviour picked by the model name: the whole name, or what follows a '~' (<c>claude-sonnet-4~reset</c>).</summary>
    private readonly record struct Scenario
    {
        public Scenario(string model) => Name = model.Contains('~') ? model[(model.LastIndexOf('~') + 1)..] : model;

        public string Name { get; }

        public int? Status => Name.StartsWith("status-", StringComparison.Ordinal) ? int.Parse(Name["status-".Length..], System.Globalization.CultureInfo.InvariantCulture) : null;
    }
}

/// <summary>One request the fake received.</summary>
public sealed record RecordedRequest(string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    /// <summary>The query string, with its '?' (empty when there was none).</summary>
    public string Query { get; init; } = "";

    /// <summary>The request target exactly as it arrived (percent-encoding kept), where an endpoint recorded it.</summary>
    public string RawTarget { get; init; } = "";

    public string BodyText => Encoding.UTF8.GetString(Body);
}
