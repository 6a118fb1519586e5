using AkkaProxy.Hosting.Auth;
using AkkaProxy.Hosting.Configuration;
using AkkaProxy.Pipeline.Admission;

namespace AkkaProxy.Cluster.Limits;

/// <summary>What a lease says about one request.</summary>
internal enum LeaseAnswer
{
    /// <summary>Admitted (and counted) on the lease.</summary>
    Admitted,

    /// <summary>Refused: a limit the key's entity said is used up (or held by other nodes, for a moment).</summary>
    Refused,

    /// <summary>The lease cannot say (none, or its minute is over, or a part is used up): the entity must be asked.</summary>
    Miss,
}

/// <summary>What a node asks its key's entity for.</summary>
/// <param name="Requests">Requests wanted; 0 when the lease still has some.</param>
/// <param name="Budget">Whether its budget slice is spent (or it has none).</param>
/// <param name="Tokens">Whether its token slice is spent (or it has none).</param>
internal readonly record struct LeaseNeeds(int Requests, bool Budget, bool Tokens);

/// <summary>
/// What this node holds of a key's limits (a <see cref="LeaseGrant"/> of its entity, added up), and
/// what it admitted and billed on it since: the hot path's decision, one short lock, no message.
/// Times the entity sends are turned into this node's clock when they arrive (a lease lasts
/// <see cref="LeaseGrant.ValidFor"/> from then), so nodes whose clocks disagree by a little agree.
/// </summary>
internal sealed class KeyLease(RelayKeyOptions key, TimeProvider time)
{
    private readonly Lock _gate = new();
    private bool _held;
    private DateTimeOffset _window;       // the entity's minute
    private DateTimeOffset _validUntil;   // this node's clock
    private DateTimeOffset _periodStart;
    private int _requests;   // -1: no request limit
    private decimal? _budget;
    private long? _tokens;
    private int _lastGrant;
    private LeaseClosed? _closed;
    private DateTimeOffset _closedUntil;  // this node's clock

    /// <summary>The key.</summary>
    public RelayKeyOptions Key => key;

    /// <summary>
    /// Admits one request on the lease, refuses it on a closed limit, or says the entity must be
    /// asked. <paramref name="prefetch"/> says the lease is running low: ask for more before it is out.
    /// </summary>
    /// <param name="acceptLate">Take a lease whose time has just run out (a grant that arrives across the minute still serves the requests it was asked for).</param>
    /// <param name="refusal">The refusal, when refused.</param>
    /// <param name="prefetch">Whether to ask for more now.</param>
    public LeaseAnswer TryAdmit(bool acceptLate, out AdmissionRefusal? refusal, out bool prefetch)
    {
        refusal = null;
        prefetch = false;
        DateTimeOffset now = time.GetUtcNow();
        lock (_gate)
        {
            if (_closed is { } closed)
            {
                if (now < _closedUntil)
                {
                    refusal = Refusal(closed, now);
                    return LeaseAnswer.Refused;
                }

                _closed = null;
                _held = false;
            }

            if (!_held || (!acceptLate && now >= _validUntil) || _budget <= 0 || _tokens <= 0 || _requests == 0)
            {
                return LeaseAnswer.Miss;
            }

            if (_requests > 0)
            {
                _requests--;
                prefetch = _requests == Math.Max(1, _lastGrant / 4);
            }

            return LeaseAnswer.Admitted;
        }
    }

    /// <summary>What to ask for when <paramref name="waiting"/> requests wait on the lease.</summary>
    public LeaseNeeds Needs(int waiting)
    {
        DateTimeOffset now = time.GetUtcNow();
        lock (_gate)
        {
            bool current = _held && now < _validUntil;
            return new LeaseNeeds(
                key.RequestsPerMinute is null || (current && _requests != 0) ? 0 : Math.Max(1, waiting),
                key.Budget is not null && (!current || _budget <= 0),
                key.TokensPerMinute is not null && (!current || _tokens <= 0));
        }
    }

    /// <summary>What a prefetch asks for: as many requests as the last grant gave, and no slice.</summary>
    public LeaseNeeds PrefetchNeeds
    {
        get
        {
            lock (_gate)
            {
                return new LeaseNeeds(key.RequestsPerMinute is null ? 0 : Math.Max(1, _lastGrant), false, false);
            }
        }
    }

    /// <summary>This node billed a request of the key: its slices shrink at once (the entity hears of it after).</summary>
    public void Billed(DateTimeOffset startedAt, long tokens, decimal? cost)
    {
        lock (_gate)
        {
            if (_tokens is long left)
            {
                _tokens = left - tokens;
            }

            if (cost is decimal spent && _budget is decimal budget && startedAt >= _periodStart)
            {
                _budget = budget - spent;
            }
        }
    }

    /// <summary>
    /// Adds a grant to the lease, or starts a new one for a new minute; a grant for a minute older
    /// than the lease's is stale and ignored. A slice overrun by requests in flight starts again from
    /// the grant (the overrun is counted in the entity's total already), as the entity counts it.
    /// </summary>
    public void Apply(LeaseGrant grant)
    {
        DateTimeOffset now = time.GetUtcNow();
        lock (_gate)
        {
            if (_held && grant.Window < _window)
            {
                return;
            }

            _closed = null;
            if (!_held || grant.Window != _window)
            {
                _held = true;
                _window = grant.Window;
                _periodStart = grant.PeriodStart;
                _requests = grant.Requests;
                _budget = grant.Budget < 0 ? null : grant.Budget;
                _tokens = grant.Tokens < 0 ? null : grant.Tokens;
            }
            else
            {
                _requests = _requests < 0 || grant.Requests < 0 ? grant.Requests : _requests + grant.Requests;
                _budget = grant.Budget < 0 ? null : grant.Budget > 0 ? Math.Max(0m, _budget ?? 0m) + grant.Budget : _budget ?? 0m;
                _tokens = grant.Tokens < 0 ? null : grant.Tokens > 0 ? Math.Max(0L, _tokens ?? 0L) + grant.Tokens : _tokens ?? 0L;
            }

            _validUntil = now + grant.ValidFor;
            if (grant.Requests > 0)
            {
                _lastGrant = grant.Requests;
            }
        }
    }

    /// <summary>The entity closed a limit: refused here for <see cref="LeaseClosed.ResetsIn"/>.</summary>
    public void Apply(LeaseClosed closed)
    {
        DateTimeOffset now = time.GetUtcNow();
        lock (_gate)
        {
            _closed = closed;
            _closedUntil = now + closed.ResetsIn;
        }
    }

    /// <summary>Gives back what the lease of <paramref name="window"/> holds unused of <paramref name="limit"/>, and stops using it.</summary>
    public LeaseReturn Reclaim(DateTimeOffset window, KeyLimit limit, Akka.Actor.IActorRef holder)
    {
        lock (_gate)
        {
            if (!_held || _window != window)
            {
                return new LeaseReturn(key.Id, holder, window, limit, 0, 0, 0);
            }

            switch (limit)
            {
                case KeyLimit.Requests:
                    int requests = Math.Max(0, _requests);
                    _requests = _requests < 0 ? -1 : 0;
                    return new LeaseReturn(key.Id, holder, window, limit, requests, 0, 0);
                case KeyLimit.Budget:
                    decimal budget = Math.Max(0m, _budget ?? 0m);
                    _budget = _budget is null ? null : 0m;
                    return new LeaseReturn(key.Id, holder, window, limit, 0, budget, 0);
                default:
                    long tokens = Math.Max(0L, _tokens ?? 0L);
                    _tokens = _tokens is null ? null : 0L;
                    return new LeaseReturn(key.Id, holder, window, limit, 0, 0, tokens);
            }
        }
    }

    /// <summary>The entity that granted the lease is gone (a new one started): nothing is held, the next request asks.</summary>
    public void Drop()
    {
        lock (_gate)
        {
            _held = false;
            _closed = null;
        }
    }

    private AdmissionRefusal Refusal(LeaseClosed closed, DateTimeOffset now)
    {
        decimal? limit = closed.Limit switch
        {
            KeyLimit.Budget => key.Budget,
            KeyLimit.Tokens => key.TokensPerMinute,
            _ => key.RequestsPerMinute,
        };
        if (limit is decimal whole && closed.Used < whole)
        {
            return KeyRefusals.HeldElsewhere(key, _closedUntil - now);
        }

        return closed.Limit switch
        {
            KeyLimit.Budget => KeyRefusals.Budget(key, closed.Used, closed.Until, now),
            KeyLimit.Tokens => KeyRefusals.Tokens(key, (long)closed.Used, closed.Until, now),
            _ => KeyRefusals.Requests(key, closed.Until, now),
        };
    }
}
