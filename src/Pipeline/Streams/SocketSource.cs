using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using Akka.Streams;
using Akka.Streams.Stage;
using AkkaProxy.Pipeline.Transport;

namespace AkkaProxy.Pipeline.Streams;

/// <summary>How a <see cref="SocketSource"/> stopped reading its socket.</summary>
internal enum SocketEnd
{
    /// <summary>The peer's close frame arrived.</summary>
    Closed,

    /// <summary>A message was larger than the limit; the rest of it is still unread.</summary>
    TooLarge,

    /// <summary>The read failed (the connection was lost or the socket aborted).</summary>
    Lost,
}

/// <summary>
/// A session graph's source for one socket: whole messages (up to a limit), one read per pull, so a
/// side that takes nothing stops the reads on the other. The socket is attached after
/// materialization (the client's at once, the upstream's once dialled). It stops at the peer's
/// close, an oversize message or a failed read, and reports which through the attached callback.
/// Materializes its <see cref="Control"/>. Every message read touches the session's activity timeout
/// (the session comes with the materialization: <see cref="SocketSessionAttribute"/>).
/// </summary>
internal sealed class SocketSource : GraphStageWithMaterializedValue<SourceShape<SocketMessage>, SocketSource.Control>
{
    private readonly string _name;
    private readonly int _maxMessageBytes;
    private readonly int _bufferBytes;

    public SocketSource(string name, int maxMessageBytes, int bufferBytes)
    {
        _name = name;
        _maxMessageBytes = maxMessageBytes;
        _bufferBytes = bufferBytes;
        Out = new Outlet<SocketMessage>(name + ".out");
        Shape = new SourceShape<SocketMessage>(Out);
    }

    public Outlet<SocketMessage> Out { get; }

    public override SourceShape<SocketMessage> Shape { get; }

    protected override Attributes InitialAttributes => Attributes.CreateName(_name);

    public override ILogicAndMaterializedValue<Control> CreateLogicAndMaterializedValue(Attributes inheritedAttributes)
    {
        var logic = new Logic(this, SocketSessionAttribute.Of(inheritedAttributes).Activity);
        return new LogicAndMaterializedValue<Control>(logic, logic.Control);
    }

    public override string ToString() => _name;

    /// <summary>A materialized source's control: attaches the socket, stops the source, and says when its reads are over.</summary>
    /// <remarks>Its commands reach the graph through one async callback (each callback costs a graph about 250 B).</remarks>
    internal sealed class Control(Action<object> command, Task stopped) : IKillSwitch
    {
        /// <summary>Starts reading <paramref name="socket"/>; <paramref name="ended"/> hears how reading ended (once, from the graph's thread).</summary>
        public void Attach(WebSocket socket, Action<SocketEnd, Exception?> ended) => command(new Attachment(socket, ended));

        /// <summary>Stops the source (once a read in progress has finished); it completes.</summary>
        public void Shutdown() => command(ShutdownCommand);

        /// <summary>Fails the source with <paramref name="cause"/>.</summary>
        public void Abort(Exception cause) => command(cause);

        /// <summary>
        /// Completes once the source has stopped and no read of its socket is in progress: from then
        /// on someone else may read the socket (to drain it until the peer's close).
        /// </summary>
        public Task Stopped { get; } = stopped;
    }

    private static readonly object ShutdownCommand = new();

    // A receive finished on the socket's thread: the graph reads its result (sent through the same callback).
    private static readonly object ReadCompletedCommand = new();

    private sealed record Attachment(WebSocket Socket, Action<SocketEnd, Exception?> Ended);

    private sealed class Logic : OutGraphStageLogic
    {
        private readonly SocketSource _stage;
        private readonly ActivityTimeout _activity;
        private readonly SocketMessage _element = new();
        private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Action<object> _command; // every command and every finished read: one async callback (each costs about 300 B per socket)
        private readonly Action _rawCompleted;
        private WebSocketMessageReader? _reader;
        private Action<SocketEnd, Exception?>? _ended;
        private ValueTaskAwaiter<WebSocketMessage> _pending;
        // A receive on the socket has not finished yet. Written by the graph's thread, and cleared by the
        // socket's thread when a receive completes later; with _postStopped, a flag each side sets before
        // reading the other's (full fences), so at least one of them sees that the source is done.
        private int _inFlight;
        private bool _stopping;
        private bool _lent;
        private int _postStopped;

        protected override object LogSource => StageLogSource.For(_stage);

        public Logic(SocketSource stage, ActivityTimeout activity) : base(stage.Shape.Inlets.Length, stage.Shape.Outlets.Length)
        {
            _stage = stage;
            _activity = activity;
            _command = GetAsyncCallback<object>(OnCommand);
            Control = new Control(_command, _stopped.Task);
            _rawCompleted = OnRawCompleted;
            SetHandler(stage.Out, this);
        }

        public Control Control { get; }

        public override void OnPull()
        {
            // Everything downstream is done with the last message's bytes: forget them, or an idle socket
            // would keep alive a buffer its reader has already given back to the pool (and the pool may drop).
            _lent = false;
            _element.Set(default, ReadOnlyMemory<byte>.Empty);
            if (_reader is not null)
            {
                Read();
            }
        }

        public override void PostStop()
        {
            Interlocked.Exchange(ref _postStopped, 1);
            if (Volatile.Read(ref _inFlight) == 0)
            {
                // An idle reader gives its buffer back; one still reading keeps it (the socket writes
                // into it), and so does one whose last message is still lent (a send that outlives the
                // graph may still read it): those are left to the collector.
                if (!_lent)
                {
                    _reader?.Dispose();
                }

                _stopped.TrySetResult();
            }
        }

        private void OnCommand(object command)
        {
            if (ReferenceEquals(command, ReadCompletedCommand))
            {
                OnReadCompleted();
                return;
            }

            switch (command)
            {
                case Attachment attachment:
                    OnAttach(attachment);
                    return;
                case Exception cause:
                    FailStage(cause);
                    return;
                default:
                    OnShutdown();
                    return;
            }
        }

        private void OnAttach(Attachment attached)
        {
            if (_reader is not null)
            {
                throw new InvalidOperationException("A socket source reads one socket.");
            }

            _ended = attached.Ended;
            _reader = new WebSocketMessageReader(attached.Socket, _stage._maxMessageBytes, _stage._bufferBytes);
            if (IsAvailable(_stage.Out))
            {
                Read();
            }
        }

        private void OnShutdown()
        {
            if (!InFlight)
            {
                CompleteStage();
                return;
            }

            _stopping = true; // completes when the read in progress finishes
        }

        private bool InFlight => Volatile.Read(ref _inFlight) != 0;

        private void Read()
        {
            SetInFlight(true);
            try
            {
                _pending = _reader!.ReceiveAsync(CancellationToken.None).GetAwaiter();
            }
            catch (Exception ex)
            {
                SetInFlight(false);
                End(SocketEnd.Lost, ex);
                return;
            }

            if (_pending.IsCompleted)
            {
                SetInFlight(false);
                OnReadCompleted();
            }
            else
            {
                _pending.UnsafeOnCompleted(_rawCompleted);
            }
        }

        /// <summary>On the socket's thread: back into the graph, or, when the graph is gone, just release the socket.</summary>
        private void OnRawCompleted()
        {
            Interlocked.Exchange(ref _inFlight, 0);
            if (Volatile.Read(ref _postStopped) != 0)
            {
                _stopped.TrySetResult(); // the graph stopped during the read: nothing reads this socket any more
                return;
            }

            _command(ReadCompletedCommand); // dropped if the graph stops first; PostStop then sees no read in flight
        }

        private void OnReadCompleted()
        {
            WebSocketMessage message;
            try
            {
                message = _pending.GetResult();
            }
            catch (Exception ex)
            {
                End(SocketEnd.Lost, ex);
                return;
            }

            switch (message.Kind)
            {
                case WebSocketMessageKind.Closed:
                    End(SocketEnd.Closed, null);
                    return;
                case WebSocketMessageKind.TooLarge:
                    End(SocketEnd.TooLarge, null);
                    return;
            }

            _activity.Touch();
            if (_stopping)
            {
                CompleteStage();
                return;
            }

            _lent = true;
            Push(_stage.Out, _element.Set(message.Type, message.Payload));
        }

        /// <summary>On the graph's thread; the socket's thread only clears it (<see cref="OnRawCompleted"/>).</summary>
        private void SetInFlight(bool inFlight) => Volatile.Write(ref _inFlight, inFlight ? 1 : 0);

        private void End(SocketEnd end, Exception? failure)
        {
            _ended?.Invoke(end, failure);
            _ended = null;
            CompleteStage();
        }
    }
}
