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

    private static readonly AdmissionRefusal Pending = new(503, "limits_pending",
        "The relay is asking the cluster for this key's limits; retry in a moment.", TimeSpan.FromSeconds(1), "server_error");

    private readonly ConcurrentDictionary<string, KeyLease> _leases = new(StringComparer.Ordinal);
    private IActorRef? _keeper;

    /// <summary>This node's lease keeper, once the actor system started it.</summary>
    public void Attach(IActorRef keeper) => Volatile.Write(ref _keeper, keeper);

    /// <summary>This node's lease of the key (an empty one, until the entity grants).</summary>
    public KeyLease LeaseOf(RelayKeyOptions key) => _leases.GetOrAdd(key.Id, static (_, state) => new KeyLease(state.key, state.time), (key, time));

    /// <summary>This node's lease of the key named <paramref name="keyId"/>, if it ever asked for one.</summary>
    public KeyLease? Find(string keyId) => _leases.GetValueOrDefault(keyId);

    /// <inheritdoc />
    public ValueTask<AdmissionRefusal?> AdmitAsync(RelayKeyOptions key, CancellationToken cancellationToken)
    {
        KeyLease lease = LeaseOf(key);
        if (Decide(lease, out AdmissionRefusal? refusal))
        {
            return new(refusal);
        }

        if (Volatile.Read(ref _keeper) is not { } keeper)
        {
            return new(Starting);
        }

        var waiter = new TaskCompletionSource<AdmissionRefusal?>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (cancellationToken.CanBeCanceled)
        {
            // A client that leaves takes nothing of the lease when the answer comes.
            CancellationTokenRegistration registration = cancellationToken.Register(static state => ((TaskCompletionSource<AdmissionRefusal?>)state!).TrySetResult(KeyLeaseKeeper.Unavailable), waiter);
            waiter.Task.ContinueWith(static (_, state) => ((CancellationTokenRegistration)state!).Dispose(), registration, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        keeper.Tell(new KeyLeaseKeeper.Need(lease, waiter));
        return new(waiter.Task);
    }

    /// <inheritdoc />
    public AdmissionRefusal? TryAdmit(RelayKeyOptions key) => Decide(LeaseOf(key), out AdmissionRefusal? refusal) ? refusal : Pending;

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

    /// <summary>Decides on the lease: true with the answer (null: admitted), false when the entity must be asked.</summary>
    private bool Decide(KeyLease lease, out AdmissionRefusal? refusal)
    {
        switch (lease.TryAdmit(acceptLate: false, out refusal, out bool prefetch))
        {
            case LeaseAnswer.Admitted:
                if (prefetch)
                {
                    Volatile.Read(ref _keeper)?.Tell(new KeyLeaseKeeper.Prefetch(lease));
                }

                return true;
            case LeaseAnswer.Refused:
                return true;
            default:
                return false;
        }
    }
}
