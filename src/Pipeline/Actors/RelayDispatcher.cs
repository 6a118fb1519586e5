using Akka.Actor;
using Akka.Configuration;
using Akka.Streams;

namespace AkkaProxy.Pipeline.Actors;

/// <summary>
/// The dispatcher of the relay's per-connection actors: Akka's default dispatcher (the .NET thread pool,
/// its throughput) with <see cref="CompactMailbox"/> for a mailbox. Registered once in each actor system
/// the relay uses (an Akka extension), the host's or an embedder's, so neither has to configure it.
/// Connection supervisors are created on it, and each connection's and session's graph runs on it (the
/// graph's dispatcher attribute), which gives the graph's interpreter actor the same mailbox.
/// </summary>
internal sealed class RelayDispatcher : IExtension
{
    /// <summary>The dispatcher's id, a top-level key of the system's config (where Akka looks up a dispatcher's mailbox type).</summary>
    public const string Id = "akkaproxy-relay-dispatcher";

    /// <summary>The attribute that runs a graph on this dispatcher.</summary>
    public static readonly Attributes GraphAttribute = ActorAttributes.CreateDispatcher(Id);

    private RelayDispatcher(ExtendedActorSystem system)
    {
        // A fallback: a system whose own config has this section keeps what it says. Akka rebuilds its
        // dispatcher table's config on an injection; the mailbox is looked up under the dispatcher's id.
        Config own = ConfigurationFactory.ParseString(
            $"{Id} {{\n  type = Dispatcher\n  mailbox-type = \"{typeof(CompactMailbox).FullName}, {typeof(CompactMailbox).Assembly.GetName().Name}\"\n}}");
        for (int attempt = 0; attempt < 2 && !system.Settings.Config.HasPath(Id + ".mailbox-type"); attempt++)
        {
            // Twice at most: the injection is a read-modify-write of Akka's fallback chain, and an extension
            // injecting its own at the same moment could drop ours.
            system.Settings.InjectTopLevelFallback(own);
        }

        // Looked up now, so a missing piece fails here, at the system's start, not at a connection; both are cached after.
        system.Dispatchers.Lookup(Id);
        system.Mailboxes.Lookup(Id);
    }

    /// <summary>Registers the dispatcher in <paramref name="system"/> if it is not yet.</summary>
    public static void EnsureIn(ActorSystem system) => system.WithExtension<RelayDispatcher, Provider>();

    /// <summary>
    /// <see cref="GraphAttribute"/>, the dispatcher registered in <paramref name="materializer"/>'s system
    /// first; no attribute for a materializer of no actor system Akka's way (then the graph runs where that
    /// materializer puts it).
    /// </summary>
    public static Attributes For(IMaterializer materializer)
    {
        if (materializer is not ActorMaterializer { System: { } system })
        {
            return Attributes.None;
        }

        EnsureIn(system);
        return GraphAttribute;
    }

    private sealed class Provider : ExtensionIdProvider<RelayDispatcher>
    {
        public override RelayDispatcher CreateExtension(ExtendedActorSystem system) => new(system);
    }
}
