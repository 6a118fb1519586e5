using AkkaProxy.Hosting.Auth;
using AkkaProxy.Hosting.Configuration;
using AkkaProxy.Pipeline.Admission;

namespace AkkaProxy.Cluster.Limits;

/// <summary>What a lease says about one request.</summary>
internal enum LeaseAnswer
{
    /// <summary>Admitted (and counted) on the lease.</summary>
    Admitted,

    /// <summary>Refused: a limit the key's entity said is used up.</summary>
    Refused,

    /// <summary>The lease cannot say (none, or its minute is over, or it is used up): the entity must be asked.</summary>
    Miss,
}

/// <summary>
/// What this node holds of a key's limits (a <see cref="LeaseGrant"/> of its entity, added up), and
/// what it admitted and billed on it since: the hot path's decision, one short lock, no message.
/// </summary>
internal sealed class KeyLease(RelayKeyOptions key)
{
    private readonly Lock _gate = new();
    private bool _held;
    private DateTimeOffset _window;
    private DateTimeOffset _periodStart;
    private int _requests;   // -1: no request limit
    private decimal? _budget;
    private long? _tokens;
    private int _lastGrant;
    private LeaseClosed? _closed;

    /// <summary>The key.</summary>
    public RelayKeyOptions Key => key;

    /// <summary>
    /// Admits one request on the lease, refuses it on a closed limit, or says the entity must be
    /// asked. <paramref name="prefetch"/> says the lease is running low: ask for more before it is out.
    /// </summary>
    /// <param name="now">The node's clock.</param>
    /// <param name="acceptLate">Take a lease for a minute this node's clock has just left (the entity's clock decides the window; a grant that arrives across the minute still serves the requests it was asked for).</param>
    /// <param name="refusal">The refusal, when refused.</param>
    /// <param name="prefetch">Whether to ask for more now.</param>
    public LeaseAnswer TryAdmit(DateTimeOffset now, bool acceptLate, out AdmissionRefusal? refusal, out bool prefetch)
    {
        refusal = null;
        prefetch = false;
        lock (_gate)
        {
            if (_closed is { } closed)
            {
                if (now < closed.Until)
                {
                    refusal = Refusal(closed, now);
                    return LeaseAnswer.Refused;
                }

                _closed = null;
                _held = false;
            }

            if (!_held || (!acceptLate && KeyAccount.MinuteOf(now) != _window) || _budget <= 0 || _tokens <= 0 || _requests == 0)
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

    /// <summary>How many requests to ask for when <paramref name="waiting"/> wait: 0 when the lease still has some and only a slice ran out.</summary>
    public int RequestsWanted(DateTimeOffset now, int waiting)
    {
        lock (_gate)
        {
            bool has = _held && KeyAccount.MinuteOf(now) == _window && _requests != 0;
            return key.RequestsPerMinute is null || has ? 0 : Math.Max(1, waiting);
        }
    }

    /// <summary>A prefetch asks for as many as the last grant gave.</summary>
    public int PrefetchWanted
    {
        get
        {
            lock (_gate)
            {
                return key.RequestsPerMinute is null ? 0 : Math.Max(1, _lastGrant);
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

    /// <summary>Adds a grant to the lease, or starts a new one for a new minute.</summary>
    public void Apply(LeaseGrant grant)
    {
        lock (_gate)
        {
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
                _budget = grant.Budget < 0 ? null : (_budget ?? 0) + grant.Budget;
                _tokens = grant.Tokens < 0 ? null : (_tokens ?? 0) + grant.Tokens;
            }

            if (grant.Requests > 0)
            {
                _lastGrant = grant.Requests;
            }
        }
    }

    /// <summary>The entity closed a limit: refused here until it resets.</summary>
    public void Apply(LeaseClosed closed)
    {
        lock (_gate)
        {
            _closed = closed;
        }
    }

    /// <summary>Gives back what the lease of <paramref name="window"/> holds unused, and stops using it.</summary>
    public LeaseReturnParts Reclaim(DateTimeOffset window)
    {
        lock (_gate)
        {
            if (!_held || _window != window)
            {
                return default;
            }

            var parts = new LeaseReturnParts(Math.Max(0, _requests), Math.Max(0m, _budget ?? 0m), Math.Max(0L, _tokens ?? 0L));
            _requests = _requests < 0 ? -1 : 0;
            _budget = _budget is null ? null : Math.Min(0m, _budget.Value);
            _tokens = _tokens is null ? null : Math.Min(0L, _tokens.Value);
            return parts;
        }
    }

    private AdmissionRefusal Refusal(LeaseClosed closed, DateTimeOffset now) => closed.Limit switch
    {
        KeyLimit.Budget => KeyRefusals.Budget(key, closed.Used, closed.Until, now),
        KeyLimit.Tokens => KeyRefusals.Tokens(key, (long)closed.Used, closed.Until, now),
        _ => KeyRefusals.Requests(key, closed.Until, now),
    };
}

/// <summary>What a lease gives back when reclaimed.</summary>
internal readonly record struct LeaseReturnParts(int Requests, decimal Budget, long Tokens);
