using Akka.Actor;
using Akka.Cluster;

namespace AkkaProxy.Cluster.Affinity;

/// <summary>
/// One bucket of the cluster's directory of response ids (sharded by a hash of the id): which node's
/// pool holds the idle upstream socket whose last response was X. Bounded: the oldest entries go
/// first past <see cref="Capacity"/>; an entry older than the sockets' idle timeout is gone (its
/// socket was closed); a node that leaves the cluster takes its entries with it. A lost entry only
/// costs affinity (the request is served where it lands), so nothing is read back after a move.
/// </summary>
internal sealed class ResponseDirectoryEntity : UntypedActor
{
    /// <summary>Most entries a bucket keeps.</summary>
    internal const int Capacity = 4096;

    private readonly Dictionary<string, Entry> _held = new(StringComparer.Ordinal);
    private readonly Queue<(string ResponseId, long Write)> _order = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _maxAge;
    private long _writes;

    public ResponseDirectoryEntity(TimeProvider time, TimeSpan maxAge)
    {
        _time = time;
        _maxAge = maxAge;
    }

    public static Props Props(TimeProvider time, TimeSpan maxAge) => Akka.Actor.Props.Create(() => new ResponseDirectoryEntity(time, maxAge));

    protected override void PreStart()
    {
        if (Context.System is ExtendedActorSystem { Provider: IClusterActorRefProvider })
        {
            Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.MemberRemoved));
        }
    }

    protected override void PostStop()
    {
        if (Context.System is ExtendedActorSystem { Provider: IClusterActorRefProvider })
        {
            Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
        }
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case SocketHeld held:
                long write = ++_writes;
                _held[held.ResponseId] = new Entry(held.Node, held.Member, _time.GetUtcNow(), write);
                _order.Enqueue((held.ResponseId, write));
                Trim();
                if (!Sender.IsNobody())
                {
                    Sender.Tell(new SocketAt(held.ResponseId, held.Node)); // the node's turn ends once this arrives
                }

                break;
            case SocketReleased released:
                if (_held.TryGetValue(released.ResponseId, out Entry? entry) && entry.Node == released.Node)
                {
                    _held.Remove(released.ResponseId); // its write stays in the order queue until it is trimmed
                }

                break;
            case WhereIsSocket where:
                string node = "";
                if (_held.TryGetValue(where.ResponseId, out Entry? found))
                {
                    if (_time.GetUtcNow() - found.At < _maxAge)
                    {
                        node = found.Node;
                    }
                    else
                    {
                        _held.Remove(where.ResponseId); // its socket was closed as idle by now
                    }
                }

                Sender.Tell(new SocketAt(where.ResponseId, node));
                break;
            case ClusterEvent.MemberRemoved removed:
                string member = removed.Member.Address.ToString();
                foreach (string id in _held.Where(e => e.Value.Member == member).Select(e => e.Key).ToList())
                {
                    _held.Remove(id);
                }

                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>
    /// The queue holds every write in order: past the capacity the oldest live entries go; a write of
    /// an id written again since (or released) is skipped; the queue itself stays within a bound.
    /// </summary>
    private void Trim()
    {
        while ((_held.Count > Capacity || _order.Count > 4 * Capacity) && _order.TryDequeue(out var oldest))
        {
            if (_held.TryGetValue(oldest.ResponseId, out Entry? entry) && entry.Write == oldest.Write && _held.Count > Capacity)
            {
                _held.Remove(oldest.ResponseId);
            }
        }
    }

    private sealed record Entry(string Node, string Member, DateTimeOffset At, long Write);
}
