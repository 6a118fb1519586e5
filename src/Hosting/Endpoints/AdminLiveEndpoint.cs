using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using AkkaProxy.Hosting.Auth;
using AkkaProxy.Hosting.Billing;
using AkkaProxy.Hosting.Configuration;
using AkkaProxy.Pipeline.Billing;
using Microsoft.AspNetCore.Http.Features;

namespace AkkaProxy.Hosting.Endpoints;

/// <summary>
/// <c>GET /admin/usage/live</c> (admin key): Server-Sent Events from the relay itself, one
/// <c>record</c> event per billing record as it is billed (the JSON of <see cref="AdminEndpoints.RecordJson"/>),
/// a <c>dropped</c> event (<c>{"dropped":N}</c>) when this subscriber fell behind and lost records,
/// and a <c>: heartbeat</c> comment after <see cref="BillingOptions.LiveHeartbeat"/> of silence. It
/// ends when the client goes or the host stops.
/// </summary>
internal static class AdminLiveEndpoint
{
    private static readonly byte[] Hello = ": akkaproxy live usage\n\n"u8.ToArray();
    private static readonly byte[] Heartbeat = ": heartbeat\n\n"u8.ToArray();

    /// <summary>Maps the endpoint.</summary>
    public static IEndpointRouteBuilder MapAdminLiveEndpoint(this IEndpointRouteBuilder app)
    {
        app.MapGet("/admin/usage/live", async (HttpContext context, RelayKeyValidator keys, LiveRecordsSink live, BillingOptions billing, TimeProvider time, IHostApplicationLifetime lifetime) =>
        {
            if (AdminAccess.Refusal(context, keys) is IResult refused)
            {
                await refused.ExecuteAsync(context).ConfigureAwait(false);
                return;
            }

            HttpResponse response = context.Response;
            response.ContentType = "text/event-stream";
            response.Headers.CacheControl = "no-cache";
            response.Headers["X-Accel-Buffering"] = "no"; // nginx: pass events on as they come
            context.Features.GetRequiredFeature<IHttpResponseBodyFeature>().DisableBuffering();

            // Subscribed before the first byte, so a client that saw the opening comment misses no record after it.
            using LiveSubscription subscription = live.Subscribe();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
            try
            {
                await response.Body.WriteAsync(Hello, stop.Token).ConfigureAwait(false);
                await response.Body.FlushAsync(stop.Token).ConfigureAwait(false);
                await SseFormatter.WriteAsync(Events(subscription, response.Body, billing.LiveHeartbeat, time, stop.Token), response.Body, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // The client went, or the host is stopping: the response ends here, without holding shutdown up.
            }
        });
        return app;
    }

    /// <summary>
    /// The events, as records arrive. <see cref="SseFormatter"/> frames events but has no comments, so
    /// this writes the heartbeat comment itself, while the formatter waits for the next event (it
    /// writes nothing then).
    /// </summary>
    private static async IAsyncEnumerable<SseItem<string>> Events(LiveSubscription subscription, Stream body, TimeSpan heartbeat, TimeProvider time, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ChannelReader<BillingRecord> records = subscription.Records;
        Task<bool>? arrival = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            arrival ??= records.WaitToReadAsync(cancellationToken).AsTask();
            using (var beat = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                Task silence = Task.Delay(heartbeat, time, beat.Token);
                Task first = await Task.WhenAny(arrival, silence).ConfigureAwait(false);
                await beat.CancelAsync().ConfigureAwait(false);
                if (first != arrival)
                {
                    if (!cancellationToken.IsCancellationRequested)
                    {
                        await body.WriteAsync(Heartbeat, cancellationToken).ConfigureAwait(false);
                        await body.FlushAsync(cancellationToken).ConfigureAwait(false);
                    }

                    continue;
                }
            }

            if (!arrival.IsCompletedSuccessfully || !arrival.Result)
            {
                yield break; // cancelled, or the subscription ended
            }

            arrival = null;
            while (records.TryRead(out BillingRecord? record))
            {
                yield return new SseItem<string>(JsonSerializer.Serialize(record, AdminEndpoints.RecordJson), "record");
            }

            long dropped = subscription.TakeDropped();
            if (dropped > 0)
            {
                yield return new SseItem<string>($$"""{"dropped":{{dropped}}}""", "dropped");
            }
        }
    }
}
