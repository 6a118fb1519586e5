using Akka.Actor;

namespace AkkaProxy.Cluster.Limits;

/// <summary>
/// One limit of a key as its entity counts it across the nodes: what was used, and the slices the
/// nodes hold of what is left. A prepaid quota (requests) is used when it is granted and given back
/// unused; a billed one (spend, tokens) is used as the nodes bill, and a slice is only the right to
/// bill that much without asking.
/// </summary>
internal sealed class Quota(decimal limit, bool prepaid)
{
    private readonly Dictionary<IActorRef, decimal> _held = [];

    /// <summary>The limit.</summary>
    public decimal Limit => limit;

    /// <summary>Used across the nodes: billed, or (prepaid) granted and not given back.</summary>
    public decimal Used { get; private set; }

    /// <summary>Whether the nodes have used the whole limit.</summary>
    public bool IsUsedUp => Used >= limit;

    /// <summary>What no node holds: the most a grant can give.</summary>
    public decimal Free
    {
        get
        {
            decimal free = limit - Used;
            if (!prepaid)
            {
                foreach (decimal slice in _held.Values)
                {
                    free -= Math.Max(0m, slice);
                }
            }

            return free;
        }
    }

    /// <summary>What <paramref name="holder"/> holds unused, as far as the entity knows (billed quotas: its slice less what it reported).</summary>
    public decimal HeldBy(IActorRef holder) => _held.GetValueOrDefault(holder);

    /// <summary>The nodes other than <paramref name="except"/> that hold some of it.</summary>
    public IEnumerable<IActorRef> Holders(IActorRef except) => _held.Where(h => h.Value > 0 && !h.Key.Equals(except)).Select(h => h.Key);

    /// <summary>
    /// Gives <paramref name="holder"/> a slice of what is free: at least <paramref name="wanted"/>
    /// (when that much is free), otherwise a share that leaves as much again to the other
    /// <paramref name="holders"/>; never less than a sixty-fourth of the limit while that much is free,
    /// so a node asks a bounded number of times. Zero when nothing is free.
    /// </summary>
    /// <param name="holder">The node.</param>
    /// <param name="wanted">What it asked for.</param>
    /// <param name="holders">The nodes holding leases of the key.</param>
    /// <param name="whole">Grant whole units (requests, tokens).</param>
    /// <param name="share">Grant a share of what is free; false grants only what was asked (every request a round trip, for comparison).</param>
    public decimal Grant(IActorRef holder, decimal wanted, int holders, bool whole, bool share = true)
    {
        decimal free = Free;
        if (free <= 0)
        {
            return 0;
        }

        decimal amount = share ? Math.Min(free, Math.Max(wanted, Math.Max(free / (2 * Math.Max(1, holders)), limit / 64))) : Math.Min(free, wanted);
        if (whole)
        {
            amount = Math.Max(1, Math.Floor(amount));
        }

        _held[holder] = Math.Max(0m, HeldBy(holder)) + amount;
        if (prepaid)
        {
            Used += amount;
        }

        return amount;
    }

    /// <summary>A node billed <paramref name="amount"/> of a billed quota (out of its slice, or past it).</summary>
    public void Spend(IActorRef holder, decimal amount)
    {
        Used += amount;
        if (_held.TryGetValue(holder, out decimal slice))
        {
            _held[holder] = slice - amount;
        }
    }

    /// <summary>A node gave back what it held unused (or is gone): its slice ends; a prepaid quota gets <paramref name="unused"/> back.</summary>
    public void Return(IActorRef holder, decimal unused)
    {
        if (_held.Remove(holder, out decimal held) && prepaid)
        {
            Used -= Math.Min(Math.Max(0m, unused), held);
        }
    }

    /// <summary>A node is gone: it holds nothing more; requests it was granted stay used (it may have admitted them).</summary>
    public void Forget(IActorRef holder) => _held.Remove(holder);

    /// <summary>The nodes' slices end (their leases were for a window that is over).</summary>
    public void EndSlices() => _held.Clear();

    /// <summary>A new window or period: nothing used, nothing held.</summary>
    public void Reset()
    {
        Used = 0;
        _held.Clear();
    }
}
