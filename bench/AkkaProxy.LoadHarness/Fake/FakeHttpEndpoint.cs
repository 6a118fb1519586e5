using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace AkkaProxy.LoadHarness.Fake;

/// <summary>
/// <c>POST /v1/chat/completions</c> and <c>POST /v1/responses</c>: JSON when <c>stream</c> is false,
/// SSE otherwise, written one event at a time with a flush after each (a provider sends each event as
/// the model produces it), from pre-rendered bytes. Chat honours <c>stream_options.include_usage</c>.
/// </summary>
internal static class FakeHttpEndpoint
{
    public static async Task HandleAsync(HttpContext context, bool chat)
    {
        UpstreamRequest request;
        PipeReader reader = context.Request.BodyReader;
        while (true)
        {
            ReadResult read = await reader.ReadAsync(context.RequestAborted);
            if (read.IsCompleted)
            {
                try
                {
                    request = UpstreamRequest.Parse(read.Buffer);
                }
                catch (JsonException)
                {
                    request = default;
                }

                reader.AdvanceTo(read.Buffer.End);
                break;
            }

            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }

        if (request.Model is null)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            context.Response.ContentType = "application/json";
            await context.Response.BodyWriter.WriteAsync("""{"error":{"message":"model is required","type":"invalid_request_error","param":"model","code":null}}"""u8.ToArray());
            return;
        }

        int events = BenchModel.EventsOf(request.Model);
        if (!request.Stream)
        {
            RenderedBody json = RenderCache.Get(chat ? BodyShape.ChatJson : BodyShape.ResponsesJson, events);
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = json.Bytes.Length;
            await context.Response.BodyWriter.WriteAsync(json.Bytes, context.RequestAborted);
            return;
        }

        BodyShape shape = chat ? (request.IncludeUsage ? BodyShape.ChatSseWithUsage : BodyShape.ChatSse) : BodyShape.ResponsesSse;
        RenderedBody body = RenderCache.Get(shape, events);
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        PipeWriter writer = context.Response.BodyWriter;
        for (int i = 0; i < body.Events; i++)
        {
            FlushResult flush = await writer.WriteAsync(body.Event(i), context.RequestAborted);
            if (flush.IsCompleted || flush.IsCanceled)
            {
                return;
            }
        }
    }
}
