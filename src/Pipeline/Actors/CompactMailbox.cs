using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace AkkaProxy.Pipeline.Actors;

/// <summary>
/// The mailbox of the relay's per-connection actors (connection supervisors and the graphs'
/// interpreters): unbounded, like Akka's default, but holding nothing while empty. Akka's default
/// queue (a <c>ConcurrentQueue</c>) keeps a 32-slot segment, about 1 KB, for each actor's life; with
/// one supervisor and one interpreter per idle WebSocket, that was 2 KB of every idle socket.
/// </summary>
/// <remarks>Configured by <see cref="RelayDispatcher"/>; made by Akka through its <c>(Settings, Config)</c> constructor.</remarks>
internal sealed class CompactMailbox(Settings settings, Config config) : MailboxType(settings, config), IProducesMessageQueue<CompactMessageQueue>
{
    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new CompactMessageQueue();
}

/// <summary>
/// A first-in first-out queue of envelopes for one actor: many writers, the mailbox's one reader. A ring
/// under a lock that starts empty, grows by doubling, and lets a grown ring go once drained, so an idle
/// actor keeps no array.
/// </summary>
/// <remarks>
/// It locks itself (its monitor lives in the object's header until contended), not a lock object, which
/// would cost every actor 40 B more. Only an actor's mailbox holds the instance (as its public
/// <c>MessageQueue</c>), and neither Akka nor the relay locks on that.
/// </remarks>
internal sealed class CompactMessageQueue : IMessageQueue, IUnboundedMessageQueueSemantics
{
    /// <summary>A drained ring up to this many slots is kept for the next burst; a larger one is let go.</summary>
    internal const int KeptSlots = 4;

    private Envelope[] _ring = [];
    private int _head;
    private int _count;

    public bool HasMessages => Volatile.Read(ref _count) > 0;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Slots held now (for specs: what an idle actor keeps).</summary>
    internal int Capacity
    {
        get
        {
            lock (this)
            {
                return _ring.Length;
            }
        }
    }

    public void Enqueue(IActorRef receiver, Envelope envelope)
    {
        lock (this)
        {
            if (_count == _ring.Length)
            {
                Grow();
            }

            _ring[(_head + _count) % _ring.Length] = envelope;
            Volatile.Write(ref _count, _count + 1);
        }
    }

    public bool TryDequeue(out Envelope envelope)
    {
        lock (this)
        {
            if (_count == 0)
            {
                envelope = default;
                return false;
            }

            envelope = _ring[_head];
            _ring[_head] = default; // the queue keeps no message it has handed over
            _head = (_head + 1) % _ring.Length;
            Volatile.Write(ref _count, _count - 1);
            if (_count == 0)
            {
                _head = 0;
                if (_ring.Length > KeptSlots)
                {
                    _ring = [];
                }
            }

            return true;
        }
    }

    public void CleanUp(IActorRef owner, IMessageQueue deadletters)
    {
        while (TryDequeue(out Envelope envelope))
        {
            deadletters.Enqueue(owner, envelope);
        }
    }

    private void Grow()
    {
        var larger = new Envelope[Math.Max(KeptSlots, _ring.Length * 2)];
        for (int i = 0; i < _count; i++)
        {
            larger[i] = _ring[(_head + i) % _ring.Length];
        }

        _ring = larger;
        _head = 0;
    }
}
