using System.Collections.Concurrent;
using Akka.Actor;
using AkkaProxy.Hosting.Auth;
using AkkaProxy.Hosting.Configuration;
using AkkaProxy.Pipeline.Admission;
using AkkaProxy.Pipeline.Billing;

namespace AkkaProxy.Cluster.Limits;

/// <summary>
/// The keys' limits shared by the cluster's nodes: each request is decided on this node's lease of its
/// key (no message while the lease lasts); when the lease cannot decide, the request waits for the
/// key's entity (<see cref="KeyLimitsEntity"/>) through this node's <see cref="KeyLeaseKeeper"/>.
/// </summary>
internal sealed class ShardedKeyLimits(TimeProvider time) : ISharedKeyLimits
{
    private static readonly AdmissionRefusal Starting = new(503, "relay_starting",
        "The relay is still joining its cluster; retry in a moment.", TimeSpan.FromSeconds(1), "server_error");

    private readonly ConcurrentDictionary<string, KeyLease> _leases = new(StringComparer.Ordinal);
    private IActorRef? _keeper;

    /// <summary>This node's lease keeper, once the actor system started it.</summary>
    public void Attach(IActorRef keeper) => Volatile.Write(ref _keeper, keeper);

    /// <summary>This node's lease of the key (an empty one, until the entity grants).</summary>
    public KeyLease LeaseOf(RelayKeyOptions key) => _leases.GetOrAdd(key.Id, static (_, k) => new KeyLease(k), key);

    /// <summary>This node's lease of the key named <paramref name="keyId"/>, if it ever asked for one.</summary>
    public KeyLease? Find(string keyId) => _leases.GetValueOrDefault(keyId);

    /// <inheritdoc />
    public ValueTask<AdmissionRefusal?> AdmitAsync(RelayKeyOptions key, CancellationToken cancellationToken)
    {
        KeyLease lease = LeaseOf(key);
        IActorRef? keeper = Volatile.Read(ref _keeper);
        switch (lease.TryAdmit(time.GetUtcNow(), acceptLate: false, out AdmissionRefusal? refusal, out bool prefetch))
        {
            case LeaseAnswer.Admitted:
                if (prefetch)
                {
                    keeper?.Tell(new KeyLeaseKeeper.Prefetch(lease));
                }

                return default;
            case LeaseAnswer.Refused:
                return new(refusal);
        }

        if (keeper is null)
        {
            return new(Starting);
        }

        var waiter = new TaskCompletionSource<AdmissionRefusal?>(TaskCreationOptions.RunContinuationsAsynchronously);
        keeper.Tell(new KeyLeaseKeeper.Need(lease, waiter));
        return new(waiter.Task);
    }

    /// <inheritdoc />
    public void Billed(RelayKeyOptions key, BillingRecord record)
    {
        long tokens = record.Usage.TotalTokens;
        if (tokens == 0 && (record.Cost ?? 0m) == 0m)
        {
            return; // a refused request, or one that used nothing
        }

        LeaseOf(key).Billed(record.StartedAt, tokens, record.Cost);
        Volatile.Read(ref _keeper)?.Tell(new KeyLeaseKeeper.Spent(key.Id, record.StartedAt, BudgetPeriods.StartOf(key.BudgetPeriod, record.StartedAt), tokens, record.Cost));
    }
}
