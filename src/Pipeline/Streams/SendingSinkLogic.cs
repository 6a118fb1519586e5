using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using Akka.Streams;
using Akka.Streams.Stage;
using AkkaProxy.Pipeline.Transport;

namespace AkkaProxy.Pipeline.Streams;

/// <summary>
/// What both socket sinks do: send one message at a time, ask for the next only once the send is
/// over, stop only once a send in flight is over, and end their materialized task with the stage
/// (faulted when the stages before them failed).
/// </summary>
internal abstract class SendingSinkLogic<T> : InGraphStageLogic
{
    private readonly Inlet<T> _in;
    private readonly TaskCompletionSource _stopped;
    private readonly Action _sent;
    private ValueTaskAwaiter _pending;
    private bool _sending;
    private bool _finishing;
    private bool _finished;

    protected override object LogSource => StageLogSource.For(_in);

    protected SendingSinkLogic(Shape shape, Inlet<T> inlet, TaskCompletionSource stopped) : base(shape.Inlets.Length, shape.Outlets.Length)
    {
        _in = inlet;
        _stopped = stopped;
        _sent = GetAsyncCallback(OnSendCompleted);
        SetHandler(inlet, this);
    }

    public sealed override void PreStart() => Pull(_in);

    public sealed override void OnUpstreamFinish()
    {
        if (_sending)
        {
            // The sink (and the graph) stops once the send in flight is over; with its only port
            // closed, the stage would otherwise be stopped at once.
            _finishing = true;
            SetKeepGoing(true);
            return;
        }

        Finish();
    }

    public sealed override void OnUpstreamFailure(Exception e)
    {
        _stopped.TrySetException(e);
        FailStage(e);
    }

    /// <summary>
    /// Ends the task: normally when the sink finished, faulted when the graph was torn down before
    /// (its actor system or materializer stopped), so a session does not mistake that for a clean end.
    /// </summary>
    public sealed override void PostStop()
    {
        if (_finished)
        {
            _stopped.TrySetResult();
            return;
        }

        _stopped.TrySetException(new InvalidOperationException("The session's graph was torn down before its input ended."));
    }

    /// <summary>Stops the sink: its work is done (or the session was told why not).</summary>
    protected void Finish()
    {
        _finished = true;
        CompleteStage();
    }

    /// <summary>Sends one message; then <see cref="OnSent"/> or <see cref="OnSendFailed"/>, on the graph's thread.</summary>
    protected void Send(SocketSender to, ReadOnlyMemory<byte> payload, WebSocketMessageType type)
    {
        _sending = true;
        try
        {
            _pending = to.SendAsync(payload, type).GetAwaiter();
        }
        catch (Exception ex)
        {
            _sending = false;
            OnSendFailed(ex);
            return;
        }

        if (_pending.IsCompleted)
        {
            OnSendCompleted();
        }
        else
        {
            _pending.UnsafeOnCompleted(_sent);
        }
    }

    /// <summary>Asks for the next element, or stops when the input has ended.</summary>
    protected void PullOrFinish()
    {
        if (_finishing)
        {
            Finish();
            return;
        }

        Pull(_in);
    }

    /// <summary>The send is over; the default asks for the next element.</summary>
    protected virtual void OnSent() => PullOrFinish();

    /// <summary>The send failed.</summary>
    protected abstract void OnSendFailed(Exception failure);

    private void OnSendCompleted()
    {
        _sending = false;
        try
        {
            _pending.GetResult();
        }
        catch (Exception ex)
        {
            OnSendFailed(ex);
            return;
        }

        OnSent();
    }
}
