using Akka.Actor;
using Akka.Hosting;
using AkkaProxy.Hosting.Ledger;
using AkkaProxy.Pipeline;
using AkkaProxy.Pipeline.Billing;

namespace AkkaProxy.Hosting;

/// <summary>
/// What a service adds to the relay it embeds with <see cref="AkkaProxyHostBuilderExtensions.AddAkkaProxy"/>:
/// its stages, its billing subscribers, and the ledger store that keeps the records
/// (<c>UseSqliteLedger()</c> from the AkkaProxy.Ledger.Sqlite package, <c>UsePostgresLedger()</c> from AkkaProxy.Ledger.Postgres).
/// </summary>
public sealed class AkkaProxyOptions
{
    private readonly List<RecordSubscription> _subscribers = [];
    private readonly List<LedgerStoreRegistration> _ledgerStores = [];

    /// <summary>
    /// Adds the service's own stages, after the ones named in configuration (<c>akkaproxy.pipeline.stages</c>):
    /// a class, a lambda or an Akka.Streams <c>Flow</c> (<see cref="ProxyStreamBuilder.UseFlow"/>).
    /// </summary>
    public Action<ProxyStreamBuilder>? Pipeline { get; set; }

    /// <summary>
    /// Delivers every billing record to the actor the service registers as <typeparamref name="TActor"/>
    /// in Akka.Hosting's <c>ActorRegistry</c> (<c>registry.Register&lt;TActor&gt;(actor)</c>), one at a
    /// time and with backpressure: the actor gets a <see cref="BillingRecord"/> and answers it with
    /// <see cref="BillingAck.Instance"/>; the next record comes after the answer. Records wait for the
    /// actor to be registered. An answer not given within <paramref name="ackTimeout"/> (30 seconds unless
    /// given) is logged and the relay goes on with the next record: the relay's other sinks (the
    /// ledger among them) have each record whatever the actor does.
    /// </summary>
    /// <typeparam name="TActor">The key the actor is registered under.</typeparam>
    /// <param name="ackTimeout">How long one record waits for its answer.</param>
    /// <returns>These options.</returns>
    public AkkaProxyOptions Subscribe<TActor>(TimeSpan? ackTimeout = null)
    {
        TimeSpan timeout = ackTimeout ?? TimeSpan.FromSeconds(30);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero, nameof(ackTimeout));
        _subscribers.Add(new RecordSubscription(typeof(TActor).Name, (services, ct) => services.GetRequiredService<IRequiredActor<TActor>>().GetAsync(ct), timeout));
        return this;
    }

    /// <summary>Adds a ledger store (the store packages' <c>UseSqliteLedger</c>, <c>UsePostgresLedger</c>); a second of one kind replaces the first.</summary>
    internal AkkaProxyOptions AddLedgerStore(LedgerStoreRegistration store)
    {
        _ledgerStores.RemoveAll(s => s.Kind == store.Kind);
        _ledgerStores.Add(store);
        return this;
    }

    /// <summary>Adds what makes the relay's own actor system a cluster node (the cluster package's <c>UseCluster</c>).</summary>
    internal AkkaProxyOptions UseClusterSetup(Action<Akka.Hosting.AkkaConfigurationBuilder, AkkaProxy.Hosting.Cluster.RelayClusterOptions> join, Action<IServiceCollection>? services = null)
    {
        ClusterSetup = join;
        ClusterServices = services;
        return this;
    }

    /// <summary>The cluster package's services (the keys' shared counts), added when <c>akkaproxy.cluster.enabled</c>.</summary>
    internal Action<IServiceCollection>? ClusterServices { get; private set; }

    /// <summary>The cluster package's setup, when it was added; <c>akkaproxy.cluster.enabled</c> needs it.</summary>
    internal Action<Akka.Hosting.AkkaConfigurationBuilder, AkkaProxy.Hosting.Cluster.RelayClusterOptions>? ClusterSetup { get; private set; }

    /// <summary>The ledger stores added, of which <c>akkaproxy.ledger.store</c> picks one.</summary>
    internal IReadOnlyList<LedgerStoreRegistration> LedgerStores => _ledgerStores;

    /// <summary>The actors <see cref="Subscribe{TActor}"/> named, in order.</summary>
    internal IReadOnlyList<RecordSubscription> Subscribers => _subscribers;
}

/// <summary>One <see cref="AkkaProxyOptions.Subscribe{TActor}"/>: the actor's name (for logs), how to find it once registered, the wait for an answer.</summary>
internal sealed record RecordSubscription(string Name, Func<IServiceProvider, CancellationToken, Task<IActorRef>> Resolve, TimeSpan AckTimeout);
