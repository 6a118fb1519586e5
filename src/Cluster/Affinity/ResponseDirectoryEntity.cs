using Akka.Actor;

namespace AkkaProxy.Cluster.Affinity;

/// <summary>
/// One bucket of the cluster's directory of response ids (sharded by a hash of the id): which node's
/// pool holds the idle upstream socket whose last response was X. Bounded: the oldest entries go
/// first past <see cref="Capacity"/>, and an entry older than the sockets' idle timeout is gone (its
/// socket was closed). A lost entry only costs affinity (the request is served where it lands), so
/// nothing is read back after a move.
/// </summary>
internal sealed class ResponseDirectoryEntity : UntypedActor
{
    /// <summary>Most entries a bucket keeps.</summary>
    internal const int Capacity = 4096;

    private readonly Dictionary<string, (string Node, DateTimeOffset At)> _held = new(StringComparer.Ordinal);
    private readonly Queue<(string ResponseId, DateTimeOffset At)> _order = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _maxAge;

    public ResponseDirectoryEntity(TimeProvider time, TimeSpan maxAge)
    {
        _time = time;
        _maxAge = maxAge;
    }

    public static Props Props(TimeProvider time, TimeSpan maxAge) => Akka.Actor.Props.Create(() => new ResponseDirectoryEntity(time, maxAge));

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case SocketHeld held:
                DateTimeOffset at = _time.GetUtcNow();
                _held[held.ResponseId] = (held.Node, at);
                _order.Enqueue((held.ResponseId, at));
                Trim();
                break;
            case SocketReleased released:
                if (_held.TryGetValue(released.ResponseId, out var entry) && entry.Node == released.Node)
                {
                    _held.Remove(released.ResponseId); // its write stays in the order queue until it is trimmed
                }

                break;
            case WhereIsSocket where:
                string node = _held.TryGetValue(where.ResponseId, out var found) && _time.GetUtcNow() - found.At < _maxAge ? found.Node : "";
                Sender.Tell(new SocketAt(where.ResponseId, node));
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Trim()
    {
        // The queue holds every write in order; an older write of an id written again since is skipped.
        while (_held.Count > Capacity && _order.TryDequeue(out var oldest))
        {
            if (_held.TryGetValue(oldest.ResponseId, out var entry) && entry.At == oldest.At)
            {
                _held.Remove(oldest.ResponseId);
            }
        }

        while (_order.Count > 4 * Capacity && _order.TryDequeue(out var stale))
        {
            if (_held.TryGetValue(stale.ResponseId, out var entry) && entry.At == stale.At)
            {
                _held.Remove(stale.ResponseId);
            }
        }
    }
}
