using System.IO.Pipelines;
using AkkaProxy.Pipeline.Stages;

namespace AkkaProxy.Pipeline.Streams;

/// <summary>
/// One exchange attached to its connection's graph: where the upstream body is read from, where the
/// client's bytes go, and how the exchange ended. The graph's stages touch it only on the graph's
/// own thread; <see cref="Done"/> is how the exchange's handler learns the end.
/// </summary>
internal sealed class ExchangeBinding(ProxyRun run, PipeReader upstream, PipeWriter client, FrameKind framing, ActivityTimeout? activity, TimeProvider time, CancellationToken cancellationToken, Action<ExchangeBinding>? released = null)
{
    public ProxyRun Run { get; } = run;

    public ProxyExchange Exchange => Run.Exchange;

    /// <summary>The upstream body (the connection graph's source reads it; an exchange flow has none).</summary>
    public PipeReader Upstream { get; } = upstream;

    /// <summary>The client (the connection graph's sink writes to it; an exchange flow has none).</summary>
    public PipeWriter Client { get; } = client;

    public FrameKind Framing { get; } = framing;

    public ActivityTimeout? Activity { get; } = activity;

    public TimeProvider Time { get; } = time;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>Completes when the graph is done with this exchange: nothing of it is read or written any more.</summary>
    public TaskCompletionSource<PumpResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Set by the sink when the client side ended the exchange (gone, or its flush failed): what is
    /// still in flight is dropped and the source reads no more. The graph's thread only.
    /// </summary>
    public bool ClientEnded { get; private set; }

    private PumpResult _clientResult;
    private Exception? _clientFailure;

    /// <summary>Ends the exchange with a failure of the graph itself (it stopped while the exchange was attached).</summary>
    public void Fail(Exception failure)
    {
        released?.Invoke(this);
        Done.TrySetException(failure);
    }

    /// <summary>The client went away (a flush completed or was cancelled by the client).</summary>
    public void EndByClient(PumpResult result)
    {
        ClientEnded = true;
        _clientResult = result;
    }

    /// <summary>A flush to the client failed.</summary>
    public void EndByClient(Exception failure)
    {
        ClientEnded = true;
        _clientFailure = failure;
    }

    /// <summary>Reports the end: the client's, when it ended first; otherwise what the upstream side ended with.</summary>
    public void Finish(PumpResult upstreamResult, Exception? upstreamFailure)
    {
        released?.Invoke(this); // before the handler resumes: its next exchange may attach at once
        if (_clientFailure is not null)
        {
            Done.TrySetException(_clientFailure);
        }
        else if (ClientEnded)
        {
            Done.TrySetResult(_clientResult);
        }
        else if (upstreamFailure is not null)
        {
            Done.TrySetException(upstreamFailure);
        }
        else
        {
            Done.TrySetResult(upstreamResult);
        }
    }
}
