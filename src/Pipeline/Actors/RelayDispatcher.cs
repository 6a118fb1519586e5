using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
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
        Config own = ConfigurationFactory.ParseString(
            $"{Id} {{ mailbox-type = \"{typeof(CompactMailbox).FullName}, {typeof(CompactMailbox).Assembly.GetName().Name}\" }}");
        // The mailbox is looked up in the system's config under the dispatcher's id; the dispatcher itself by
        // its registered configurator (Akka's dispatcher table reads the config only as it was at start).
        system.Settings.InjectTopLevelFallback(own);
        Config dispatcher = ConfigurationFactory.ParseString($"id = {Id}\nname = {Id}")
            .WithFallback(own.GetConfig(Id))
            .WithFallback(system.Settings.Config.GetConfig(Dispatchers.DefaultDispatcherId));
        system.Dispatchers.RegisterConfigurator(Id, new DispatcherConfigurator(dispatcher, system.Dispatchers.Prerequisites));
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
