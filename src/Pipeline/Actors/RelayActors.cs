using Akka.Actor;

namespace AkkaProxy.Pipeline.Actors;

/// <summary>
/// The relay's supervision tree in one actor system, made once per system (an Akka extension):
/// <code>
///   /user/akkaproxy                  the root (RelayRootActor)
///     ├── connections                one ConnectionSupervisor per client connection or WebSocket session;
///     │                              a supervisor that throws is stopped (its PostStop bills what was open),
///     │                              never restarted (a restart would forget its open exchanges)
///     ├── socket-pools               one SocketPoolActor per provider and credential; one that throws is
///     │                              restarted with its state (leased sockets, counts, waiters) kept
///     └── billing                    the BillingActor; restarted on a failure (its queue is the gateway's)
/// </code>
/// Each parent's strategy is explicit (<see cref="RelayStrategies"/>), so nothing relies on the default
/// restart under <c>/user</c>.
/// </summary>
internal sealed class RelayActors : IExtension
{
    /// <summary>The root's name under <c>/user</c>.</summary>
    public const string RootName = "akkaproxy";

    private RelayActors(ExtendedActorSystem system)
    {
        RelayDispatcher.EnsureIn(system); // before any connection's supervisor or graph
        // Made by /user's cell directly (system.ActorOf would return a ref started asynchronously), so the
        // root's own cell is there for its children right away.
        Root = SpawnUnder(system.Guardian, Props.Create(() => new RelayRootActor()), RootName);
        Connections = SpawnUnder(Root, Props.Create(() => new RoleActor(RelayStrategies.Connections)), "connections");
        SocketPools = SpawnUnder(Root, Props.Create(() => new RoleActor(RelayStrategies.SocketPools)), "socket-pools");
    }

    /// <summary><c>/user/akkaproxy</c>; its own children (the billing actor) are supervised by <see cref="RelayStrategies.Root"/>.</summary>
    public IActorRef Root { get; }

    /// <summary><c>/user/akkaproxy/connections</c>: the parent of every connection supervisor.</summary>
    public IActorRef Connections { get; }

    /// <summary><c>/user/akkaproxy/socket-pools</c>: the parent of every upstream socket pool.</summary>
    public IActorRef SocketPools { get; }

    /// <summary>The tree of <paramref name="system"/>, made on first use.</summary>
    public static RelayActors For(ActorSystem system) => system.WithExtension<RelayActors, Provider>();

    /// <summary>
    /// Creates a child of <paramref name="parent"/> (one of this tree's actors) from any thread, at once,
    /// without a message round trip: a connection's supervisor is needed synchronously, on the request's
    /// path, where an <c>Ask</c> of the parent would cost a round trip per connection.
    /// </summary>
    /// <remarks>
    /// The parent's cell creates the child as Akka does for <c>system.ActorOf</c> under <c>/user</c>: the
    /// child's name is reserved with a compare-and-swap on the parent's children container, so this is
    /// safe from any thread, beside the parent's own processing; the child is supervised by the parent.
    /// </remarks>
    public static IActorRef SpawnUnder(IActorRef parent, Props props, string? name = null)
    {
        if (parent is ActorRefWithCell { Underlying: ActorCell cell })
        {
            // ActorOf on the cell, not AttachChild: the child is a LocalActorRef whose cell exists when this
            // returns (AttachChild makes a repointable ref that is started later), so it can take children at once.
            return name is null ? cell.ActorOf(props) : cell.ActorOf(props, name);
        }

        throw new InvalidOperationException($"The relay's actors must be local; '{parent.Path}' is not.");
    }

    private sealed class Provider : ExtensionIdProvider<RelayActors>
    {
        public override RelayActors CreateExtension(ExtendedActorSystem system) => new(system);
    }
}
