using Akka.Actor;
using Akka.Event;
using AkkaProxy.Hosting.Auth;
using AkkaProxy.Hosting.Configuration;

namespace AkkaProxy.Cluster.Limits;

/// <summary>
/// A relay key's limits across the cluster: one entity per key (sharded by its id), the one place
/// the key's requests, tokens and spend are counted. Nodes do not ask it per request: it grants each
/// node a lease (requests it may admit this minute, slices of the budget and of the minute's tokens
/// it may bill) and the node decides on its own while the lease lasts. When what is left is held by
/// other nodes, it reclaims their unused parts before it answers; when a limit is used up, it tells
/// every node holding a lease. Started (or moved to another node), it reads the key's spend in the
/// budget period and its tokens in the minute back from the usage ledger, and has every node drop
/// what it holds of an earlier entity's leases, before it answers anything.
/// </summary>
internal sealed class KeyLimitsEntity : UntypedActor, IWithStash, IWithTimers
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    /// <summary>How long a node refuses when what is left is held by other nodes that did not give it back.</summary>
    private static readonly TimeSpan HeldElsewhereRetry = TimeSpan.FromSeconds(1);

    private readonly string _keyId;
    private readonly KeyUsageReader? _reader;
    private readonly TimeProvider _time;
    private readonly TimeSpan _reclaimTimeout;
    private readonly bool _shareLeases;
    private readonly Func<IReadOnlyCollection<ActorPath>>? _keepers;
    private readonly HashSet<string> _awaitingDrop = new(StringComparer.Ordinal);
    private long _round;
    private bool _reading;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly HashSet<IActorRef> _holders = [];
    private readonly HashSet<IActorRef> _reclaiming = [];
    private readonly List<LeaseAsk> _parked = [];
    private RelayKeyOptions? _key;
    private Quota? _budget;
    private Quota? _tokens;
    private Quota? _requests;
    private DateTimeOffset _window;
    private DateTimeOffset _periodStart;

    public KeyLimitsEntity(string keyId, RelayKeyOptions? key, KeyUsageReader? reader, TimeProvider time, TimeSpan reclaimTimeout, bool shareLeases = true,
        Func<IReadOnlyCollection<ActorPath>>? keepers = null)
    {
        _keepers = keepers;
        _keyId = keyId;
        _reader = reader;
        _time = time;
        _reclaimTimeout = reclaimTimeout;
        _shareLeases = shareLeases;
        if (key is not null)
        {
            Know(key);
        }
    }

    public IStash Stash { get; set; } = null!;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="keyId">The key's id (the entity's).</param>
    /// <param name="key">The key's limits as this node has them; null when it does not know the key (then the first ask's are used).</param>
    /// <param name="reader">Reads the key's usage back from the ledger; null without a ledger.</param>
    /// <param name="time">The clock.</param>
    /// <param name="reclaimTimeout">How long the nodes have to give back what they hold.</param>
    /// <param name="shareLeases">Grant leases of a share of what is left (the design); false grants each node only the requests it asks for, so every request is a round trip (the benchmark's comparison).</param>
    /// <param name="keepers">The lease keepers of the nodes now in the cluster, told to drop an earlier entity's leases when this one starts; null when there is none to tell.</param>
    public static Props Props(string keyId, RelayKeyOptions? key, KeyUsageReader? reader, TimeProvider time, TimeSpan reclaimTimeout, bool shareLeases = true,
        Func<IReadOnlyCollection<ActorPath>>? keepers = null) =>
        Akka.Actor.Props.Create(() => new KeyLimitsEntity(keyId, key, reader, time, reclaimTimeout, shareLeases, keepers));

    protected override void PreStart()
    {
        if (_key is not null)
        {
            StartRebuild();
        }
        else
        {
            Become(Unknown);
        }
    }

    /// <summary>The key's limits: the quotas, the current minute and period.</summary>
    private void Know(RelayKeyOptions key)
    {
        _key = key;
        _budget = key.Budget is decimal budget ? new Quota(budget, prepaid: false) : null;
        _tokens = key.TokensPerMinute is long tokens ? new Quota(tokens, prepaid: false) : null;
        _requests = key.RequestsPerMinute is int requests ? new Quota(requests, prepaid: true) : null;
        DateTimeOffset now = _time.GetUtcNow();
        _window = KeyAccount.MinuteOf(now);
        _periodStart = BudgetPeriods.StartOf(key.BudgetPeriod, now);
    }

    /// <summary>This node's configuration does not have the key: the first ask's limits are taken, not none.</summary>
    private void Unknown(object message)
    {
        if (message is LeaseAsk ask)
        {
            _log.Warning("Relay key {0} is not in this node's configuration: its limits are taken from the node that asked. The nodes' akkaproxy.auth.keys differ.", _keyId);
            Know(ask.Limits.ToOptions(_keyId));
            Stash.Stash();
            Become(OnReceive);
            StartRebuild();
            return;
        }

        Stash.Stash();
    }

    /// <summary>
    /// Before it answers, in this order: every node drops what it holds of an earlier entity's leases
    /// (nodes keep admitting on leases an entity granted after it is gone, its node dead or its shard
    /// moved, and this one knows nothing of them), and says so once its ledger has written what it
    /// billed; then the key's usage is read back from the ledger. What a node reports billed before it
    /// said so is in that read, and is not counted twice; what it reports after, is counted.
    /// </summary>
    private void StartRebuild()
    {
        _reading = _reader is not null && (_budget is not null || _tokens is not null);
        _round = Random.Shared.NextInt64();
        foreach (ActorPath keeper in _keepers?.Invoke() ?? [])
        {
            if (_awaitingDrop.Add(HolderId(keeper)))
            {
                Context.ActorSelection(keeper).Tell(new LeaseReset(_keyId, _round), Self);
            }
        }

        if (_awaitingDrop.Count > 0)
        {
            Timers.StartSingleTimer(nameof(ResetTimedOut), ResetTimedOut.Instance, _reclaimTimeout);
            Become(Rebuilding);
        }
        else if (_reading)
        {
            Rebuild();
            Become(Rebuilding);
        }
        else
        {
            Stash.UnstashAll();
        }
    }

    /// <summary>A lease keeper's path, the same whether it is this node's (a local path) or another's.</summary>
    private string HolderId(ActorPath path) =>
        (path.Address.HasLocalScope ? ((ExtendedActorSystem)Context.System).Provider.DefaultAddress : path.Address) + path.ToStringWithoutAddress();

    private bool AwaitsDropOf(IActorRef holder) => _awaitingDrop.Count > 0 && _awaitingDrop.Contains(HolderId(holder.Path));

    /// <summary>A node dropped its lease (or the reset timed out): once all have, the ledger is read, or the entity answers.</summary>
    private void Dropped(IActorRef? holder)
    {
        if (_awaitingDrop.Count == 0)
        {
            return; // every node has answered already (a timeout that fired as the last answer came)
        }

        if (holder is null)
        {
            _log.Warning("Relay key {0}: {1} node(s) did not say in time that they dropped their leases; going on without them.", _keyId, _awaitingDrop.Count);
            _awaitingDrop.Clear();
        }
        else if (!_awaitingDrop.Remove(HolderId(holder.Path)) || _awaitingDrop.Count > 0)
        {
            return; // late (after the timeout, the read already started), or others still to answer
        }

        Timers.Cancel(nameof(ResetTimedOut));
        if (_reading)
        {
            Rebuild();
        }
        else
        {
            Answering();
        }
    }

    private void Answering()
    {
        Become(OnReceive);
        Stash.UnstashAll();
    }

    protected override void OnReceive(object message)
    {
        DateTimeOffset now = _time.GetUtcNow();
        Roll(now);
        switch (message)
        {
            case LeaseAsk ask:
                if (_holders.Add(ask.Holder))
                {
                    Context.Watch(ask.Holder);
                }

                if (_reclaiming.Count > 0)
                {
                    _parked.Add(ask); // answered once the nodes gave back what they held
                }
                else
                {
                    Answer(ask, mayReclaim: true, now);
                }

                break;
            case KeySpend spend:
                Spent(spend, now);
                break;
            case LeaseReturn returned:
                if (returned.Window == _window)
                {
                    switch (returned.Limit)
                    {
                        case KeyLimit.Requests:
                            _requests?.Return(returned.Holder, returned.Requests);
                            break;
                        case KeyLimit.Budget:
                            _budget?.Return(returned.Holder, returned.Budget);
                            break;
                        default:
                            _tokens?.Return(returned.Holder, returned.Tokens);
                            break;
                    }
                }

                if (_reclaiming.Remove(returned.Holder) && _reclaiming.Count == 0)
                {
                    FinishReclaim(now);
                }

                break;
            case ReclaimTimedOut:
                _log.Warning("Relay key {0}: {1} node(s) did not give back their leases in time; their parts stay theirs until the minute ends.", _keyId, _reclaiming.Count);
                _reclaiming.Clear();
                FinishReclaim(now);
                break;
            case Terminated gone:
                // A node that is gone bills nothing more: its slices are free again; requests it was granted stay used.
                _holders.Remove(gone.ActorRef);
                _budget?.Return(gone.ActorRef, 0);
                _tokens?.Return(gone.ActorRef, 0);
                _requests?.Forget(gone.ActorRef);
                if (_reclaiming.Remove(gone.ActorRef) && _reclaiming.Count == 0)
                {
                    FinishReclaim(now);
                }

                break;
            case LeaseDropped:
                break; // after the reset's timeout: answered without it already
            default:
                Unhandled(message);
                break;
        }
    }

    private void Rebuilding(object message)
    {
        switch (message)
        {
            case Rebuilt rebuilt:
                DateTimeOffset now = _time.GetUtcNow();
                Roll(now);
                if (rebuilt.PeriodStart == _periodStart && rebuilt.Spent > 0)
                {
                    _budget?.Spend(ActorRefs.Nobody, rebuilt.Spent);
                }

                if (rebuilt.Window == _window && rebuilt.Tokens > 0)
                {
                    _tokens?.Spend(ActorRefs.Nobody, rebuilt.Tokens);
                }

                _log.Info("Relay key {0}: read back from the ledger, {1} spent since {2:o}, {3} tokens this minute.", _keyId, rebuilt.Spent, rebuilt.PeriodStart, rebuilt.Tokens);
                _reading = false;
                Answering();
                break;
            case LeaseDropped dropped when dropped.Round == _round:
                Dropped(dropped.Holder);
                break;
            case LeaseDropped:
                break; // an answer to an earlier start's reset
            case ResetTimedOut:
                Dropped(null);
                break;
            case KeySpend spend when AwaitsDropOf(spend.Holder):
                break; // billed before its node dropped the lease: in the ledger's read

            case RebuildFailed failed:
                _log.Warning(failed.Cause, "Relay key {0}: the usage ledger could not be read; retrying in a second (its requests wait).", _keyId);
                Timers.StartSingleTimer(nameof(RetryRebuild), RetryRebuild.Instance, TimeSpan.FromSeconds(1));
                break;
            case RetryRebuild:
                Rebuild();
                break;
            default:
                Stash.Stash();
                break;
        }
    }

    private void Rebuild()
    {
        DateTimeOffset now = _time.GetUtcNow();
        DateTimeOffset period = BudgetPeriods.StartOf(_key!.BudgetPeriod, now);
        DateTimeOffset window = KeyAccount.MinuteOf(now);
        _reader!(_keyId, period, window, CancellationToken.None).PipeTo(Self,
            success: usage => new Rebuilt(period, usage.Spent, window, usage.Tokens),
            failure: cause => new RebuildFailed(cause));
    }

    private void Answer(LeaseAsk ask, bool mayReclaim, DateTimeOffset now)
    {
        DateTimeOffset windowEnd = _window + Minute;
        DateTimeOffset periodEnd = BudgetPeriods.Next(_key!.BudgetPeriod, _periodStart);
        if (_budget is { IsUsedUp: true })
        {
            Close(ask, KeyLimit.Budget, _budget.Used, periodEnd, now);
            return;
        }

        if (_tokens is { IsUsedUp: true })
        {
            Close(ask, KeyLimit.Tokens, _tokens.Used, windowEnd, now);
            return;
        }

        if (ask.Prefetch && !_shareLeases)
        {
            GrantNothing(ask, now); // every request a round trip: no lease ahead of them
            return;
        }

        // What the node is short of, as it says: requests when it asks for some, a slice when its own is spent.
        bool needsRequests = _requests is not null && ask.Wanted > 0;
        bool needsBudget = _budget is not null && ask.NeedsBudget;
        bool needsTokens = _tokens is not null && ask.NeedsTokens;
        (Quota Quota, KeyLimit Limit)? short_ =
            needsRequests && _requests!.Free <= 0 ? (_requests, KeyLimit.Requests)
            : needsBudget && _budget!.Free <= 0 ? (_budget, KeyLimit.Budget)
            : needsTokens && _tokens!.Free <= 0 ? (_tokens, KeyLimit.Tokens)
            : null;
        if (short_ is var (quota, limit))
        {
            if (ask.Prefetch)
            {
                GrantNothing(ask, now); // it still holds some: it asks again when it has none
                return;
            }

            List<IActorRef> others = [.. quota.Holders(ask.Holder)];
            if (mayReclaim && others.Count > 0)
            {
                Reclaim(others, limit);
                _parked.Add(ask);
                return;
            }

            // Used up: refused until it resets. Not used up, but held by nodes that kept it: refused for a moment.
            DateTimeOffset until = quota.IsUsedUp ? (limit == KeyLimit.Budget ? periodEnd : windowEnd) : now + HeldElsewhereRetry;
            Close(ask, limit, quota.Used, until, now);
            return;
        }

        int holders = _holders.Count;
        int requests = _requests is null ? -1 : needsRequests ? (int)_requests.Grant(ask.Holder, ask.Wanted, holders, whole: true, _shareLeases) : 0;
        decimal budget = _budget is null ? -1 : needsBudget ? _budget.Grant(ask.Holder, 0, holders, whole: false) : 0;
        long tokens = _tokens is null ? -1 : needsTokens ? (long)_tokens.Grant(ask.Holder, 0, holders, whole: true) : 0;
        ask.Holder.Tell(new LeaseGrant(_keyId, _window, _periodStart, requests, budget, tokens, windowEnd - now));
    }

    private void Close(LeaseAsk ask, KeyLimit limit, decimal used, DateTimeOffset until, DateTimeOffset now) =>
        ask.Holder.Tell(new LeaseClosed(_keyId, limit, used, until, until - now));

    /// <summary>Every ask is answered (its node asks nothing more of the key until it is): here with a grant of nothing.</summary>
    private void GrantNothing(LeaseAsk ask, DateTimeOffset now) =>
        ask.Holder.Tell(new LeaseGrant(_keyId, _window, _periodStart, _requests is null ? -1 : 0, _budget is null ? -1 : 0, _tokens is null ? -1 : 0, _window + Minute - now));

    private void Spent(KeySpend spend, DateTimeOffset now)
    {
        if (_tokens is not null && spend.Tokens > 0)
        {
            bool wasOpen = !_tokens.IsUsedUp;
            _tokens.Spend(spend.Holder, spend.Tokens);
            if (wasOpen && _tokens.IsUsedUp)
            {
                Broadcast(KeyLimit.Tokens, _tokens.Used, _window + Minute, now);
            }
        }

        if (_budget is not null && spend.Cost is decimal cost && spend.StartedAt >= _periodStart)
        {
            bool wasOpen = !_budget.IsUsedUp;
            _budget.Spend(spend.Holder, cost);
            if (wasOpen && _budget.IsUsedUp)
            {
                Broadcast(KeyLimit.Budget, _budget.Used, BudgetPeriods.Next(_key!.BudgetPeriod, _periodStart), now);
            }
        }
    }

    /// <summary>A limit is used up: every node holding a lease stops admitting on it now, not when it next asks.</summary>
    private void Broadcast(KeyLimit limit, decimal used, DateTimeOffset until, DateTimeOffset now)
    {
        var closed = new LeaseClosed(_keyId, limit, used, until, until - now);
        foreach (IActorRef holder in _holders)
        {
            holder.Tell(closed);
        }
    }

    private void Reclaim(List<IActorRef> holders, KeyLimit limit)
    {
        foreach (IActorRef holder in holders)
        {
            _reclaiming.Add(holder);
            holder.Tell(new LeaseReclaim(_keyId, _window, limit));
        }

        Timers.StartSingleTimer(nameof(ReclaimTimedOut), ReclaimTimedOut.Instance, _reclaimTimeout);
    }

    private void FinishReclaim(DateTimeOffset now)
    {
        Timers.Cancel(nameof(ReclaimTimedOut));
        LeaseAsk[] parked = [.. _parked];
        _parked.Clear();
        foreach (LeaseAsk ask in parked)
        {
            Answer(ask, mayReclaim: false, now); // what was given back is all there is: a grant or a refusal
        }
    }

    /// <summary>A new minute ends the rate limits' counts and every node's lease; a new budget period ends the spend.</summary>
    private void Roll(DateTimeOffset now)
    {
        if (_key is null)
        {
            return;
        }

        DateTimeOffset window = KeyAccount.MinuteOf(now);
        if (window != _window)
        {
            _window = window;
            _requests?.Reset();
            _tokens?.Reset();
            _budget?.EndSlices();
        }

        DateTimeOffset period = BudgetPeriods.StartOf(_key.BudgetPeriod, now);
        if (period != _periodStart)
        {
            _periodStart = period;
            _budget?.Reset();
        }
    }

    private sealed record Rebuilt(DateTimeOffset PeriodStart, decimal Spent, DateTimeOffset Window, long Tokens);

    private sealed record RebuildFailed(Exception Cause);

    private sealed class RetryRebuild
    {
        public static readonly RetryRebuild Instance = new();
    }

    private sealed class ReclaimTimedOut
    {
        public static readonly ReclaimTimedOut Instance = new();
    }

    private sealed class ResetTimedOut
    {
        public static readonly ResetTimedOut Instance = new();
    }
}

/// <summary>Reads a key's spend since <c>periodStart</c> and its tokens since <c>window</c> from the usage ledger.</summary>
internal delegate Task<(decimal Spent, long Tokens)> KeyUsageReader(string keyId, DateTimeOffset periodStart, DateTimeOffset window, CancellationToken cancellationToken);
