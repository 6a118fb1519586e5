using Akka.Actor;
using AkkaProxy.Pipeline.Admission;

namespace AkkaProxy.Cluster.Limits;

/// <summary>
/// This node's side of the keys' leases: asks a key's entity (through the shard region) when a lease
/// cannot decide, one ask per key at a time for all the requests waiting on it; applies what the
/// entity grants, closes or reclaims; and passes the node's billed usage on to the entities, in
/// batches. One per node; the requests themselves never wait on it while their lease decides.
/// </summary>
internal sealed class KeyLeaseKeeper : ReceiveActor, IWithTimers
{
    /// <summary>Longest a billed record's usage waits on this node before it is passed on.</summary>
    internal static readonly TimeSpan SpendBatchWindow = TimeSpan.FromMilliseconds(5);

    /// <summary>Longest a reset waits for this node's ledger to write what it billed.</summary>
    private static readonly TimeSpan LedgerWait = TimeSpan.FromSeconds(1);

    private readonly IActorRef _region;
    private readonly ShardedKeyLimits _limits;
    private readonly TimeSpan _askTimeout;
    private readonly Dictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SpendBatch> _spends = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IActorRef> _granters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Resetting> _resetting = new(StringComparer.Ordinal);
    private readonly Func<CancellationToken, Task>? _ledgerWritten;

    public KeyLeaseKeeper(IActorRef region, ShardedKeyLimits limits, TimeSpan askTimeout, Func<CancellationToken, Task>? ledgerWritten = null)
    {
        _ledgerWritten = ledgerWritten;
        _region = region;
        _limits = limits;
        _askTimeout = askTimeout;
        Receive<Need>(need =>
        {
            // A grant may have arrived since the request missed: the lease first.
            if (Decide(need.Lease, need.Waiter))
            {
                return;
            }

            Pending pending = PendingOf(need.Lease.Key.Id);
            pending.Waiters.Add(need.Waiter);
            if (!pending.Asking)
            {
                Ask(need.Lease, pending, need.Lease.Needs(pending.Waiters.Count), prefetch: false);
            }
        });
        Receive<Prefetch>(prefetch =>
        {
            Pending pending = PendingOf(prefetch.Lease.Key.Id);
            if (!pending.Asking)
            {
                Ask(prefetch.Lease, pending, prefetch.Lease.PrefetchNeeds, prefetch: true);
            }
        });
        Receive<Spent>(OnSpent);
        Receive<FlushSpends>(_ => FlushAll());
        Receive<LeaseGrant>(grant =>
        {
            if (_limits.Find(grant.KeyId) is { } lease)
            {
                Granted(grant.KeyId, Sender);
                lease.Apply(grant);
                Answered(lease, grantedNothing: grant.Requests <= 0 && grant.Budget <= 0 && grant.Tokens <= 0);
            }
        });
        Receive<LeaseClosed>(closed =>
        {
            if (_limits.Find(closed.KeyId) is { } lease)
            {
                Granted(closed.KeyId, Sender);
                lease.Apply(closed);
                Answered(lease, grantedNothing: false);
            }
        });
        Receive<LeaseReclaim>(reclaim =>
        {
            LeaseReturn returned = _limits.Find(reclaim.KeyId)?.Reclaim(reclaim.Window, reclaim.Limit, Self)
                ?? new LeaseReturn(reclaim.KeyId, Self, reclaim.Window, reclaim.Limit, 0, 0, 0);
            Flush(reclaim.KeyId); // what it billed first, then what it gives back
            _region.Tell(returned);
        });
        Receive<LeaseReset>(reset =>
        {
            // A new entity for the key: what an earlier one granted is dropped. What this node billed before now is
            // held back: once the billing gateway and the ledger have written it, the entity reads it back, so it is
            // not sent; the entity is told then, and what is billed from then on is passed on as before.
            _limits.Find(reset.KeyId)?.Drop();
            if (!_resetting.TryGetValue(reset.KeyId, out Resetting? resetting))
            {
                _resetting[reset.KeyId] = resetting = new Resetting();
            }

            resetting.Round = reset.Round;
            if (_spends.Remove(reset.KeyId, out SpendBatch? billed))
            {
                resetting.Covered = resetting.Covered is null ? billed : resetting.Covered.Merge(billed);
            }

            WrittenAsync().PipeTo(Self, success: written => new LedgerCaughtUp(reset.KeyId, reset.Round, written), failure: _ => new LedgerCaughtUp(reset.KeyId, reset.Round, false));
        });
        Receive<LedgerCaughtUp>(caught =>
        {
            if (!_resetting.TryGetValue(caught.KeyId, out Resetting? resetting) || resetting.Round != caught.Round)
            {
                return; // a later reset's wait runs
            }

            _resetting.Remove(caught.KeyId);
            _region.Tell(new LeaseDropped(caught.KeyId, Self, caught.Round));
            if (!caught.Written && resetting.Covered is { } unwritten)
            {
                // The ledger did not say it wrote them in time: passed on after all (counted twice rather than not at all).
                _region.Tell(new KeySpend(caught.KeyId, Self, unwritten.StartedAt, unwritten.Tokens, unwritten.Cost));
            }

            Flush(caught.KeyId);
        });
        Receive<Terminated>(gone =>
        {
            // The entity that granted a lease stopped (its node died, its shard moved): nothing more is admitted on
            // it. What was billed on it still goes to the key's next entity, which ignores it until this node said it
            // dropped the lease (it reads those records back from the ledger).
            foreach (string keyId in _granters.Where(g => g.Value.Equals(gone.ActorRef)).Select(g => g.Key).ToArray())
            {
                _granters.Remove(keyId);
                _limits.Find(keyId)?.Drop();
                AskAgain(keyId);
            }
        });
        Receive<AskTimedOut>(timedOut =>
        {
            if (_pending.TryGetValue(timedOut.KeyId, out Pending? pending) && pending.Asking && pending.Generation == timedOut.Generation)
            {
                pending.Asking = false;
                FailAll(pending);
            }
        });
    }

    /// <summary>The refusal of a request whose key's entity did not answer in time (it is moving, or its node is gone).</summary>
    public static readonly AdmissionRefusal Unavailable = new(503, "limits_unavailable",
        "The relay could not reach this key's limits in the cluster in time; retry in a moment.", TimeSpan.FromSeconds(1), "server_error");

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="region">The keys' shard region.</param>
    /// <param name="limits">This node's leases.</param>
    /// <param name="askTimeout">How long requests wait for an entity's answer.</param>
    /// <param name="ledgerWritten">Completes once this node's ledger has written every record handed to it so far; null without a ledger.</param>
    public static Props Props(IActorRef region, ShardedKeyLimits limits, TimeSpan askTimeout, Func<CancellationToken, Task>? ledgerWritten = null) =>
        Akka.Actor.Props.Create(() => new KeyLeaseKeeper(region, limits, askTimeout, ledgerWritten));

    /// <summary>Stopped or restarted, no request is left waiting on it.</summary>
    protected override void PostStop()
    {
        foreach (Pending pending in _pending.Values)
        {
            FailAll(pending);
        }

        _pending.Clear();
    }

    /// <summary>The entity that answered for the key: watched, so its end ends what it granted.</summary>
    private void Granted(string keyId, IActorRef entity)
    {
        if (entity.IsNobody() || (_granters.TryGetValue(keyId, out IActorRef? known) && known.Equals(entity)))
        {
            return;
        }

        if (known is not null)
        {
            Context.Unwatch(known);
        }

        _granters[keyId] = entity;
        Context.Watch(entity);
    }

    /// <summary>An ask in progress may have gone to the entity that is gone: the requests waiting ask again; a prefetch is dropped (the next request asks).</summary>
    private void AskAgain(string keyId)
    {
        if (_limits.Find(keyId) is not { } lease || !_pending.TryGetValue(keyId, out Pending? pending) || !pending.Asking)
        {
            return;
        }

        if (pending.Waiters.Count > 0)
        {
            Ask(lease, pending, lease.Needs(pending.Waiters.Count), prefetch: false);
        }
        else
        {
            pending.Asking = false;
        }
    }

    /// <summary>
    /// Whether this node's billing gateway and ledger have written every record billed so far: false
    /// when they did not within <see cref="LedgerWait"/> (a ledger that is down delays the entity by a
    /// second, not for ever). True at once without a ledger.
    /// </summary>
    private async Task<bool> WrittenAsync()
    {
        if (_ledgerWritten is null)
        {
            return true;
        }

        using var bound = new CancellationTokenSource(LedgerWait);
        try
        {
            await _ledgerWritten(bound.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private Pending PendingOf(string keyId)
    {
        if (!_pending.TryGetValue(keyId, out Pending? pending))
        {
            _pending[keyId] = pending = new Pending();
        }

        return pending;
    }

    private void Ask(KeyLease lease, Pending pending, LeaseNeeds needs, bool prefetch)
    {
        Flush(lease.Key.Id); // the entity sees what this node billed before what it asks
        pending.Asking = true;
        pending.Prefetching = prefetch;
        pending.Generation++;
        _region.Tell(new LeaseAsk(lease.Key.Id, Self, needs.Requests, prefetch, needs.Budget, needs.Tokens, KeyLimits.Of(lease.Key)));
        Timers.StartSingleTimer("ask:" + lease.Key.Id, new AskTimedOut(lease.Key.Id, pending.Generation), _askTimeout);
    }

    /// <summary>Decides one request on the lease as it now is; false when the lease still cannot.</summary>
    private static bool Decide(KeyLease lease, TaskCompletionSource<AdmissionRefusal?> waiter)
    {
        if (waiter.Task.IsCompleted)
        {
            return true; // its client is gone: it takes nothing of the lease
        }

        LeaseAnswer answer = lease.TryAdmit(acceptLate: true, out AdmissionRefusal? refusal, out _);
        if (answer == LeaseAnswer.Miss)
        {
            return false;
        }

        waiter.TrySetResult(answer == LeaseAnswer.Admitted ? null : refusal);
        return true;
    }

    /// <summary>
    /// The entity answered (or pushed): the waiting requests are decided on the lease as it now is.
    /// Those it still cannot decide ask again, unless the entity had just granted nothing to a real
    /// ask: then they are refused for now rather than asking in a loop.
    /// </summary>
    private void Answered(KeyLease lease, bool grantedNothing)
    {
        if (!_pending.TryGetValue(lease.Key.Id, out Pending? pending))
        {
            return;
        }

        bool wasPrefetch = pending.Prefetching;
        pending.Asking = false;
        int decided = 0;
        foreach (TaskCompletionSource<AdmissionRefusal?> waiter in pending.Waiters)
        {
            if (!Decide(lease, waiter))
            {
                break; // the lease is out again: the rest wait for the next answer
            }

            decided++;
        }

        pending.Waiters.RemoveRange(0, decided);
        if (pending.Waiters.Count == 0)
        {
            return;
        }

        if (grantedNothing && !wasPrefetch)
        {
            FailAll(pending);
            return;
        }

        Ask(lease, pending, lease.Needs(pending.Waiters.Count), prefetch: false);
    }

    private static void FailAll(Pending pending)
    {
        foreach (TaskCompletionSource<AdmissionRefusal?> waiter in pending.Waiters)
        {
            waiter.TrySetResult(Unavailable);
        }

        pending.Waiters.Clear();
    }

    /// <summary>
    /// Billed usage is passed on in batches, one message per key every few milliseconds rather than
    /// one per record: moving a node's spend from its slice to the used total leaves what is free
    /// unchanged, so the entity decides the same; a batch is sent before any ask or return of its key.
    /// </summary>
    private void OnSpent(Spent spent)
    {
        if (_spends.TryGetValue(spent.KeyId, out SpendBatch? batch) && batch.PeriodStart != spent.PeriodStart)
        {
            Flush(spent.KeyId); // a record of another budget period: its own batch
            batch = null;
        }

        if (batch is null)
        {
            _spends[spent.KeyId] = batch = new SpendBatch(spent.PeriodStart);
        }

        batch.Add(spent);
        if (!Timers.IsTimerActive(nameof(FlushSpends)))
        {
            Timers.StartSingleTimer(nameof(FlushSpends), FlushSpends.Instance, SpendBatchWindow);
        }
    }

    private void Flush(string keyId)
    {
        if (!_resetting.ContainsKey(keyId) && _spends.Remove(keyId, out SpendBatch? batch))
        {
            _region.Tell(new KeySpend(keyId, Self, batch.StartedAt, batch.Tokens, batch.Cost));
        }
    }

    private void FlushAll()
    {
        foreach (string keyId in _spends.Keys.ToArray())
        {
            Flush(keyId);
        }
    }

    /// <summary>A key's billed usage not yet passed on: records of one budget period.</summary>
    private sealed class SpendBatch(DateTimeOffset periodStart)
    {
        public DateTimeOffset PeriodStart => periodStart;

        public DateTimeOffset StartedAt { get; private set; }

        public long Tokens { get; private set; }

        public decimal? Cost { get; private set; }

        /// <summary>This batch with <paramref name="other"/>'s usage added.</summary>
        public SpendBatch Merge(SpendBatch other)
        {
            StartedAt = other.StartedAt > StartedAt ? other.StartedAt : StartedAt;
            Tokens += other.Tokens;
            if (other.Cost is decimal cost)
            {
                Cost = (Cost ?? 0m) + cost;
            }

            return this;
        }

        public void Add(Spent spent)
        {
            StartedAt = spent.StartedAt > StartedAt ? spent.StartedAt : StartedAt;
            Tokens += spent.Tokens;
            if (spent.Cost is decimal cost)
            {
                Cost = (Cost ?? 0m) + cost;
            }
        }
    }

    private sealed class FlushSpends
    {
        public static readonly FlushSpends Instance = new();
    }

    private sealed class Pending
    {
        public List<TaskCompletionSource<AdmissionRefusal?>> Waiters { get; } = [];

        public bool Asking { get; set; }

        public bool Prefetching { get; set; }

        public int Generation { get; set; }
    }

    /// <summary>A request the key's lease could not decide waits for the entity's answer.</summary>
    internal sealed record Need(KeyLease Lease, TaskCompletionSource<AdmissionRefusal?> Waiter);

    /// <summary>The key's lease runs low: ask for more before it is out.</summary>
    internal sealed record Prefetch(KeyLease Lease);

    /// <summary>This node billed a request of the key, started at <paramref name="StartedAt"/> in the budget period starting at <paramref name="PeriodStart"/>.</summary>
    internal sealed record Spent(string KeyId, DateTimeOffset StartedAt, DateTimeOffset PeriodStart, long Tokens, decimal? Cost);

    private sealed record AskTimedOut(string KeyId, int Generation);

    /// <summary>The wait for this node's ledger, for the reset of round <paramref name="Round"/>, ended; <paramref name="Written"/> unless it timed out.</summary>
    private sealed record LedgerCaughtUp(string KeyId, long Round, bool Written);

    /// <summary>A key whose new entity asked this node to drop its lease, until the node has said so.</summary>
    private sealed class Resetting
    {
        public long Round { get; set; }

        /// <summary>Billed before the reset and held back: in the ledger once it has caught up.</summary>
        public SpendBatch? Covered { get; set; }
    }
}
