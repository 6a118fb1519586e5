using System.Buffers;
using System.IO.Pipelines;
using AkkaProxy.Pipeline.Framing;
using AkkaProxy.Pipeline.Stages;

namespace AkkaProxy.Pipeline.Supervision;

/// <summary>
/// One exchange flowing through the factory's stages: request stages in order, then a
/// demand-driven pump from the upstream to the client. The pump reads only after the client has
/// taken what was written (it awaits each flush), so a slow client slows the upstream reads and
/// memory stays bounded by the largest event.
/// </summary>
/// <remarks>Used by one task at a time.</remarks>
public sealed class ProxyRun
{
    private readonly ProxyStreamFactory _factory;
    private bool _completed;

    internal ProxyRun(ProxyStreamFactory factory, ProxyExchange exchange)
    {
        _factory = factory;
        Exchange = exchange;
    }

    /// <summary>The exchange this run serves.</summary>
    public ProxyExchange Exchange { get; }

    /// <summary>True while the pump waits for the client to take what was written (a slow or stalled reader).</summary>
    public bool WaitingForClient { get; private set; }

    /// <summary>Passes the request through the stages, outermost first.</summary>
    public void ApplyRequestStages()
    {
        foreach (ProxyStage stage in _factory.Stages)
        {
            stage.OnRequest(Exchange);
        }
    }

    /// <summary>
    /// Passes one response frame through the stages, innermost first.
    /// Returns false when a stage dropped it; <paramref name="frame"/> holds what to forward otherwise.
    /// </summary>
    public bool ProcessFrame(ref ResponseFrame frame)
    {
        IReadOnlyList<ProxyStage> stages = _factory.Stages;
        for (int i = stages.Count - 1; i >= 0; i--)
        {
            if (stages[i].OnResponseFrame(Exchange, ref frame) == FrameDecision.Drop)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Relays the upstream body to the client through the stages until one side ends.</summary>
    /// <param name="upstream">The upstream body.</param>
    /// <param name="client">The client's body writer.</param>
    /// <param name="framing"><see cref="FrameKind.SseEvent"/> for event streams, <see cref="FrameKind.BodyChunk"/> for anything else.</param>
    /// <param name="activity">Touched after every read and flush, if given.</param>
    /// <param name="time">Clock for the time to first byte.</param>
    /// <param name="cancellationToken">Ends the pump (client abort, idle timeout, shutdown).</param>
    public async ValueTask<PumpResult> PumpAsync(PipeReader upstream, PipeWriter client, FrameKind framing, ActivityTimeout? activity, TimeProvider time, CancellationToken cancellationToken)
    {
        SseFrameDecoder? decoder = framing == FrameKind.SseEvent ? new SseFrameDecoder(_factory.Options.MaxEventBytes) : null;
        while (true)
        {
            ReadResult read = await upstream.ReadAsync(cancellationToken).ConfigureAwait(false);
            activity?.Touch();
            ReadOnlySequence<byte> buffer = read.Buffer;
            PumpResult? stop = decoder is null
                ? RelayChunk(ref buffer, client, out bool wrote)
                : RelayEvents(decoder, ref buffer, read.IsCompleted, client, out wrote);
            upstream.AdvanceTo(buffer.Start, buffer.End);

            if (wrote)
            {
                Exchange.FirstByteAt ??= time.GetUtcNow();
                WaitingForClient = true;
                FlushResult flush = await client.FlushAsync(cancellationToken).ConfigureAwait(false);
                activity?.Touch();
                // A timeout that fired while this flush was pending is the client's: it stays "waiting"
                // so the supervisor blames the stalled client, not the upstream read that comes next.
                if (activity?.HasExpired != true)
                {
                    WaitingForClient = false;
                }
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    return PumpResult.ClientGone;
                }
            }

            if (stop is PumpResult result)
            {
                return result;
            }

            if (read.IsCompleted || read.IsCanceled)
            {
                return PumpResult.UpstreamEnded;
            }
        }
    }

    /// <summary>
    /// Ends the run: every stage's completion hook, innermost first. Idempotent, and never throws: a
    /// hook that fails does not stop the others or fail a finished response; the failures are returned.
    /// </summary>
    /// <returns>The hooks' exceptions, or null when every hook succeeded.</returns>
    public AggregateException? Complete()
    {
        if (_completed)
        {
            return null;
        }

        _completed = true;
        List<Exception>? failures = null;
        IReadOnlyList<ProxyStage> stages = _factory.Stages;
        for (int i = stages.Count - 1; i >= 0; i--)
        {
            try
            {
                stages[i].OnCompleted(Exchange);
            }
            catch (Exception ex)
            {
                (failures ??= []).Add(new InvalidOperationException($"Stage '{stages[i].Name}' failed in OnCompleted.", ex));
            }
        }

        return failures is null ? null : new AggregateException(failures);
    }

    private PumpResult? RelayChunk(ref ReadOnlySequence<byte> buffer, PipeWriter client, out bool wrote)
    {
        wrote = false;
        if (buffer.IsEmpty)
        {
            return null;
        }

        var frame = new ResponseFrame(FrameKind.BodyChunk, buffer, default, buffer, hasData: true);
        if (ProcessFrame(ref frame))
        {
            Write(client, frame.Raw);
            wrote = true;
        }

        buffer = buffer.Slice(buffer.End);
        return null;
    }

    private PumpResult? RelayEvents(SseFrameDecoder decoder, ref ReadOnlySequence<byte> buffer, bool isFinal, PipeWriter client, out bool wrote)
    {
        wrote = false;
        while (true)
        {
            switch (decoder.TryRead(ref buffer, isFinal, out ResponseFrame frame))
            {
                case DecodeStatus.NeedMoreData:
                    return null;
                case DecodeStatus.FrameTooLarge:
                    buffer = buffer.Slice(buffer.End);
                    return PumpResult.FrameTooLarge;
            }

            if (ProcessFrame(ref frame))
            {
                Write(client, frame.Raw);
                wrote = true;
            }
        }
    }

    private static void Write(PipeWriter client, in ReadOnlySequence<byte> bytes)
    {
        if (bytes.IsSingleSegment)
        {
            client.Write(bytes.FirstSpan);
            return;
        }

        foreach (ReadOnlyMemory<byte> segment in bytes)
        {
            client.Write(segment.Span);
        }
    }
}
