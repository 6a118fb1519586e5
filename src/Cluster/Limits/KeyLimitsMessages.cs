using Akka.Actor;
using AkkaProxy.Hosting.Configuration;

namespace AkkaProxy.Cluster.Limits;

/// <summary>A message to or from a key's limits entity: crosses nodes, serialized by <see cref="KeyLimitsSerializer"/>.</summary>
internal interface IKeyLimitsMessage
{
    /// <summary>The relay key's id: which entity (and shard) the message is for.</summary>
    string KeyId { get; }
}

/// <summary>Which of a key's limits a lease or a refusal is about.</summary>
internal enum KeyLimit : byte
{
    /// <summary>Spend per budget period.</summary>
    Budget = 1,

    /// <summary>Tokens per minute.</summary>
    Tokens = 2,

    /// <summary>Requests per minute.</summary>
    Requests = 3,
}

/// <summary>
/// A node asks the key's entity for a lease: requests it may admit on its own this minute, and
/// slices of the budget and of the minute's tokens it may spend on its own. It carries the key's
/// limits as the node knows them, which an entity whose own node does not know the key uses.
/// </summary>
/// <param name="KeyId">The key.</param>
/// <param name="Holder">The node's lease keeper, to which the entity answers and later pushes.</param>
/// <param name="Wanted">Requests the node wants (those waiting on it for an answer, or a prefetch's); 0 when it still holds some.</param>
/// <param name="Prefetch">The node still holds some: grant what is free, reclaim nothing, refuse nothing.</param>
/// <param name="NeedsBudget">The node's budget slice is spent (or it has none this minute).</param>
/// <param name="NeedsTokens">The node's token slice is spent (or it has none this minute).</param>
/// <param name="Limits">The key's limits as the asking node has them.</param>
internal sealed record LeaseAsk(string KeyId, IActorRef Holder, int Wanted, bool Prefetch, bool NeedsBudget, bool NeedsTokens, KeyLimits Limits) : IKeyLimitsMessage;

/// <summary>A key's limits as they travel between nodes; -1 for a limit the key does not have.</summary>
/// <param name="RequestsPerMinute">Requests per minute.</param>
/// <param name="TokensPerMinute">Tokens per minute.</param>
/// <param name="Budget">Spend per budget period.</param>
/// <param name="BudgetPeriod">The budget's period.</param>
internal readonly record struct KeyLimits(int RequestsPerMinute, long TokensPerMinute, decimal Budget, BudgetPeriod BudgetPeriod)
{
    /// <summary>The limits of <paramref name="key"/>.</summary>
    public static KeyLimits Of(RelayKeyOptions key) =>
        new(key.RequestsPerMinute ?? -1, key.TokensPerMinute ?? -1, key.Budget ?? -1, key.BudgetPeriod);

    /// <summary>A key's settings with these limits (and nothing else: the entity only counts).</summary>
    public RelayKeyOptions ToOptions(string keyId) => new()
    {
        Id = keyId,
        RequestsPerMinute = RequestsPerMinute < 0 ? null : RequestsPerMinute,
        TokensPerMinute = TokensPerMinute < 0 ? null : TokensPerMinute,
        Budget = Budget < 0 ? null : Budget,
        BudgetPeriod = BudgetPeriod,
    };
}

/// <summary>
/// The entity grants a node a lease, added to what the node holds for the same window.
/// </summary>
/// <param name="KeyId">The key.</param>
/// <param name="Window">The minute (UTC) the lease is for; it ends with it.</param>
/// <param name="PeriodStart">The budget period the spend counts in.</param>
/// <param name="Requests">Requests the node may admit; -1 when the key has no request limit.</param>
/// <param name="Budget">Spend the node may bill; -1 when the key has no budget.</param>
/// <param name="Tokens">Tokens the node may bill this minute; -1 when the key has no token limit.</param>
/// <param name="ValidFor">How long the lease lasts from when the entity sent it (to the end of its minute): each node counts it on its own clock, so clocks that disagree by a little do not.</param>
internal sealed record LeaseGrant(string KeyId, DateTimeOffset Window, DateTimeOffset PeriodStart, int Requests, decimal Budget, long Tokens, TimeSpan ValidFor) : IKeyLimitsMessage;

/// <summary>
/// The entity refuses: a limit is used up across the nodes, until <paramref name="Until"/>; or
/// (<paramref name="Used"/> below the limit) what is left of it is held by other nodes, for a moment.
/// </summary>
/// <param name="KeyId">The key.</param>
/// <param name="Limit">Which limit.</param>
/// <param name="Used">What the nodes used of it: the spend, the tokens, or the requests granted.</param>
/// <param name="Until">When it resets: the end of the budget period or of the minute (as the refusal says).</param>
/// <param name="ResetsIn">How long from when the entity sent it the node refuses on it, counted on the node's own clock.</param>
internal sealed record LeaseClosed(string KeyId, KeyLimit Limit, decimal Used, DateTimeOffset Until, TimeSpan ResetsIn) : IKeyLimitsMessage;

/// <summary>The entity asks a node to give back what it holds unused of the window's lease: another node needs it.</summary>
/// <param name="KeyId">The key.</param>
/// <param name="Window">The minute whose lease is reclaimed; a node holding another one gives back nothing.</param>
/// <param name="Limit">The limit another node is short of: only that part is given back.</param>
internal sealed record LeaseReclaim(string KeyId, DateTimeOffset Window, KeyLimit Limit) : IKeyLimitsMessage;

/// <summary>A node gives back what it held unused (and stops using it).</summary>
/// <param name="KeyId">The key.</param>
/// <param name="Holder">The node's lease keeper.</param>
/// <param name="Window">The minute of the lease given back.</param>
/// <param name="Limit">The limit reclaimed; the other parts are 0.</param>
/// <param name="Requests">Requests not admitted.</param>
/// <param name="Budget">Budget slice not spent (0 when it was overrun).</param>
/// <param name="Tokens">Token slice not used (0 when it was overrun).</param>
internal sealed record LeaseReturn(string KeyId, IActorRef Holder, DateTimeOffset Window, KeyLimit Limit, int Requests, decimal Budget, long Tokens) : IKeyLimitsMessage;

/// <summary>A node billed a request of the key: what it used.</summary>
/// <param name="KeyId">The key.</param>
/// <param name="Holder">The node's lease keeper (whose slices it spent).</param>
/// <param name="StartedAt">When the request started: its spend counts in the budget period it started in.</param>
/// <param name="Tokens">Its tokens.</param>
/// <param name="Cost">Its cost, when priced.</param>
internal sealed record KeySpend(string KeyId, IActorRef Holder, DateTimeOffset StartedAt, long Tokens, decimal? Cost) : IKeyLimitsMessage;

/// <summary>
/// A key's entity has started (first, or again after its node died or its shard moved) and knows
/// nothing of the leases an earlier one granted: every node drops what it holds of the key and, once
/// its ledger has written what it billed, says so. The entity answers no ask until every node has (or
/// its wait of 2 s is over), so a node that answered spends no slice the new entity does not know of.
/// </summary>
/// <param name="KeyId">The key.</param>
/// <param name="Round">This start of the entity: an answer to an earlier one is not taken for this one's.</param>
internal sealed record LeaseReset(string KeyId, long Round) : IKeyLimitsMessage;

/// <summary>A node dropped its lease of the key after a <see cref="LeaseReset"/>; what it bills from now on follows.</summary>
/// <param name="KeyId">The key.</param>
/// <param name="Holder">The node's lease keeper.</param>
/// <param name="Round">The reset's <see cref="LeaseReset.Round"/>.</param>
internal sealed record LeaseDropped(string KeyId, IActorRef Holder, long Round) : IKeyLimitsMessage;
