using Akka.Streams;
using AkkaProxy.Pipeline.Streams;
using AkkaProxy.Pipeline.Transport;

namespace AkkaProxy.Pipeline.Tests.TestKit;

/// <summary>A session for a socket stage under test: its sockets and callbacks are the spec's.</summary>
internal sealed class TestSocketSession(SocketSender? toClient = null, SocketSender? toUpstream = null) : ISocketSession, IDisposable
{
    public ActivityTimeout Activity { get; } = new(TimeSpan.FromMinutes(10), TimeProvider.System);

    public SocketSender ToClient => toClient ?? throw new InvalidOperationException("No client socket in this spec.");

    public Action<ExchangeBinding> TurnEnded { get; init; } = _ => { };

    public Action<Exception> ClientLost { get; init; } = _ => { };

    public Action<Exception> UpstreamLost { get; init; } = _ => { };

    public Func<bool> Closing { get; init; } = () => false;

    /// <summary>The attributes that carry this session into a stage's materialization.</summary>
    public Attributes Attributes => new(new SocketSessionAttribute(this));

    public SocketSender UpstreamSender() => toUpstream ?? throw new InvalidOperationException("No upstream socket in this spec.");

    public void EndTurn(ExchangeBinding turn) => TurnEnded(turn);

    public void ClientSendFailed(Exception failure) => ClientLost(failure);

    public void UpstreamSendFailed(Exception failure) => UpstreamLost(failure);

    public bool IsClosing() => Closing();

    public void Dispose() => Activity.Dispose();
}
