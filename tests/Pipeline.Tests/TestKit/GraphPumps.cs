using System.IO.Pipelines;
using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Streams;

namespace AkkaProxy.Pipeline.Tests.TestKit;

/// <summary>One exchange through a connection graph, as the HTTP relay pumps it, with what the client received.</summary>
internal static class GraphPumps
{
    public static async Task<(PumpResult Result, ProxyExchange Exchange, byte[] Client)> PumpAsync(ConnectionGraph graph, ProxyStreamFactory factory, ProxyExchange exchange, PipeReader upstream, FrameKind framing)
    {
        ProxyRun run = factory.CreateRun(exchange);
        var client = new Pipe(new PipeOptions(pauseWriterThreshold: 0)); // never pushes back
        PumpResult result = await graph.PumpAsync(run, upstream, client.Writer, framing, null, TimeProvider.System, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        run.Complete();
        await upstream.CompleteAsync();
        await client.Writer.CompleteAsync();
        ReadResult read = await client.Reader.ReadAsync();
        byte[] bytes = System.Buffers.BuffersExtensions.ToArray(read.Buffer);
        client.Reader.AdvanceTo(read.Buffer.End);
        await client.Reader.CompleteAsync();
        return (result, exchange, bytes);
    }
}
