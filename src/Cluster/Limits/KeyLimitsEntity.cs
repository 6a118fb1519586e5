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
/// budget period and its tokens in the minute back from the usage ledger before it answers anything.
/// </summary>
internal sealed class KeyLimitsEntity : UntypedActor, IWithStash, IWithTimers
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);
    private readonly RelayKeyOptions? _key;
    private readonly KeyUsageReader? _reader;
    private readonly TimeProvider _time;
    private readonly TimeSpan _reclaimTimeout;
    private readonly bool _shareLeases;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly HashSet<IActorRef> _holders = [];
    private readonly HashSet<IActorRef> _reclaiming = [];
    private readonly List<LeaseAsk> _parked = [];
    private readonly Quota? _budget;
    private readonly Quota? _tokens;
    private readonly Quota? _requests;
    private DateTimeOffset _window;
    private DateTimeOffset _periodStart;

    public KeyLimitsEntity(RelayKeyOptions? key, KeyUsageReader? reader, TimeProvider time, TimeSpan reclaimTimeout, bool shareLeases = true)
    {
        _shareLeases = shareLeases;
        _key = key;
        _reader = reader;
        _time = time;
        _reclaimTimeout = reclaimTimeout;
        _budget = key?.Budget is decimal budget ? new Quota(budget, prepaid: false) : null;
        _tokens = key?.TokensPerMinute is long tokens ? new Quota(tokens, prepaid: false) : null;
        _requests = key?.RequestsPerMinute is int requests ? new Quota(requests, prepaid: true) : null;
        DateTimeOffset now = time.GetUtcNow();
        _window = KeyAccount.MinuteOf(now);
        _periodStart = key is null ? _window : BudgetPeriods.StartOf(key.BudgetPeriod, now);
    }

    public IStash Stash { get; set; } = null!;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="key">The key's limits (null: a key this node does not know, granted without limit).</param>
    /// <param name="reader">Reads the key's usage back from the ledger; null without a ledger.</param>
    /// <param name="time">The clock.</param>
    /// <param name="reclaimTimeout">How long the nodes have to give back what they hold.</param>
    /// <param name="shareLeases">Grant leases of a share of what is left (the design); false grants each node only the requests it asks for, so every request is a round trip (the benchmark's comparison).</param>
    public static Props Props(RelayKeyOptions? key, KeyUsageReader? reader, TimeProvider time, TimeSpan reclaimTimeout, bool shareLeases = true) =>
        Akka.Actor.Props.Create(() => new KeyLimitsEntity(key, reader, time, reclaimTimeout, shareLeases));

    protected override void PreStart()
    {
        if (_reader is not null && _key is not null && (_budget is not null || _tokens is not null))
        {
            Rebuild();
            Become(Rebuilding);
        }
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
                    _requests?.Return(returned.Holder, returned.Requests);
                    _budget?.Return(returned.Holder, returned.Budget);
                    _tokens?.Return(returned.Holder, returned.Tokens);
                }

                if (_reclaiming.Remove(returned.Holder) && _reclaiming.Count == 0)
                {
                    FinishReclaim(now);
                }

                break;
            case ReclaimTimedOut:
                _log.Warning("Relay key {0}: {1} node(s) did not give back their leases in time; their parts stay theirs until the minute ends.", _key?.Id, _reclaiming.Count);
                _reclaiming.Clear();
                FinishReclaim(now);
                break;
            case Terminated gone:
                // A node that is gone bills nothing more: its slices are free again; requests it was granted stay used.
                _holders.Remove(gone.ActorRef);
                _budget?.Return(gone.ActorRef, 0);
                _tokens?.Return(gone.ActorRef, 0);
                if (_reclaiming.Remove(gone.ActorRef) && _reclaiming.Count == 0)
                {
                    FinishReclaim(now);
                }

                break;
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

                _log.Info("Relay key {0}: read back from the ledger, {1} spent since {2:o}, {3} tokens this minute.", _key!.Id, rebuilt.Spent, rebuilt.PeriodStart, rebuilt.Tokens);
                Become(OnReceive);
                Stash.UnstashAll();
                break;
            case RebuildFailed failed:
                _log.Warning(failed.Cause, "Relay key {0}: the usage ledger could not be read; retrying in a second (its requests wait).", _key!.Id);
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
        _reader!(_key.Id, period, window, CancellationToken.None).PipeTo(Self,
            success: usage => new Rebuilt(period, usage.Spent, window, usage.Tokens),
            failure: cause => new RebuildFailed(cause));
    }

    private void Answer(LeaseAsk ask, bool mayReclaim, DateTimeOffset now)
    {
        DateTimeOffset windowEnd = _window + Minute;
        if (_budget is { IsUsedUp: true })
        {
            Close(ask, KeyLimit.Budget, _budget.Used, BudgetPeriods.Next(_key!.BudgetPeriod, _periodStart));
            return;
        }

        if (_tokens is { IsUsedUp: true })
        {
            Close(ask, KeyLimit.Tokens, _tokens.Used, windowEnd);
            return;
        }

        if (ask.Prefetch && !_shareLeases)
        {
            GrantNothing(ask); // every request a round trip: no lease ahead of them
            return;
        }

        // What the node is short of: requests when it asks for some, a slice when its own is spent.
        bool needsRequests = _requests is not null && ask.Wanted > 0;
        bool needsBudget = _budget is not null && _budget.HeldBy(ask.Holder) <= 0;
        bool needsTokens = _tokens is not null && _tokens.HeldBy(ask.Holder) <= 0;
        (Quota Quota, KeyLimit Limit)? short_ =
            needsRequests && _requests!.Free <= 0 ? (_requests, KeyLimit.Requests)
            : needsBudget && _budget!.Free <= 0 ? (_budget, KeyLimit.Budget)
            : needsTokens && _tokens!.Free <= 0 ? (_tokens, KeyLimit.Tokens)
            : null;
        if (short_ is var (quota, limit))
        {
            if (ask.Prefetch)
            {
                GrantNothing(ask); // it still holds some: it asks again when it has none
                return;
            }

            List<IActorRef> others = [.. quota.Holders(ask.Holder)];
            if (mayReclaim && others.Count > 0)
            {
                Reclaim(others);
                _parked.Add(ask);
                return;
            }

            Close(ask, limit, limit == KeyLimit.Requests ? 0 : quota.Used, limit == KeyLimit.Budget ? BudgetPeriods.Next(_key!.BudgetPeriod, _periodStart) : windowEnd);
            return;
        }

        int holders = _holders.Count;
        int requests = _requests is null ? -1 : needsRequests ? (int)_requests.Grant(ask.Holder, ask.Wanted, holders, whole: true, _shareLeases) : 0;
        decimal budget = _budget is null ? -1 : needsBudget ? _budget.Grant(ask.Holder, 0, holders, whole: false) : 0;
        long tokens = _tokens is null ? -1 : needsTokens ? (long)_tokens.Grant(ask.Holder, 0, holders, whole: true) : 0;
        ask.Holder.Tell(new LeaseGrant(ask.KeyId, _window, _periodStart, requests, budget, tokens));
    }

    private void Close(LeaseAsk ask, KeyLimit limit, decimal used, DateTimeOffset until) =>
        ask.Holder.Tell(new LeaseClosed(ask.KeyId, limit, used, until));

    /// <summary>Every ask is answered (its node asks nothing more of the key until it is): here with a grant of nothing.</summary>
    private void GrantNothing(LeaseAsk ask) =>
        ask.Holder.Tell(new LeaseGrant(ask.KeyId, _window, _periodStart, _requests is null ? -1 : 0, _budget is null ? -1 : 0, _tokens is null ? -1 : 0));

    private void Spent(KeySpend spend, DateTimeOffset now)
    {
        if (_tokens is not null && spend.Tokens > 0)
        {
            bool wasOpen = !_tokens.IsUsedUp;
            _tokens.Spend(spend.Holder, spend.Tokens);
            if (wasOpen && _tokens.IsUsedUp)
            {
                Broadcast(new LeaseClosed(spend.KeyId, KeyLimit.Tokens, _tokens.Used, _window + Minute));
            }
        }

        if (_budget is not null && spend.Cost is decimal cost && spend.StartedAt >= _periodStart)
        {
            bool wasOpen = !_budget.IsUsedUp;
            _budget.Spend(spend.Holder, cost);
            if (wasOpen && _budget.IsUsedUp)
            {
                Broadcast(new LeaseClosed(spend.KeyId, KeyLimit.Budget, _budget.Used, BudgetPeriods.Next(_key!.BudgetPeriod, _periodStart)));
            }
        }
    }

    /// <summary>A limit is used up: every node holding a lease stops admitting on it now, not when it next asks.</summary>
    private void Broadcast(LeaseClosed closed)
    {
        foreach (IActorRef holder in _holders)
        {
            holder.Tell(closed);
        }
    }

    private void Reclaim(List<IActorRef> holders)
    {
        foreach (IActorRef holder in holders)
        {
            _reclaiming.Add(holder);
            holder.Tell(new LeaseReclaim(_key!.Id, _window));
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
        DateTimeOffset window = KeyAccount.MinuteOf(now);
        if (window != _window)
        {
            _window = window;
            _requests?.Reset();
            _tokens?.Reset();
            _budget?.EndSlices();
        }

        if (_key is not null)
        {
            DateTimeOffset period = BudgetPeriods.StartOf(_key.BudgetPeriod, now);
            if (period != _periodStart)
            {
                _periodStart = period;
                _budget?.Reset();
            }
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
}

/// <summary>Reads a key's spend since <c>periodStart</c> and its tokens since <c>window</c> from the usage ledger.</summary>
internal delegate Task<(decimal Spent, long Tokens)> KeyUsageReader(string keyId, DateTimeOffset periodStart, DateTimeOffset window, CancellationToken cancellationToken);
