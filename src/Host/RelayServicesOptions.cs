using AkkaProxy.Pipeline;

namespace AkkaProxy.Host;

/// <summary>How <see cref="RelayServices.AddAkkaProxyRelay(IServiceCollection, IConfiguration, Action{RelayServicesOptions})"/> adds the relay.</summary>
public sealed class RelayServicesOptions
{
    /// <summary>
    /// Whether the relay builds its own actor system with Akka.Hosting (the relay as a service: yes).
    /// A service that already calls <c>AddAkka</c> sets this to false and calls
    /// <see cref="RelayServices.WithAkkaProxyRelay"/> on its own builder, so the relay's actors join its system.
    /// </summary>
    public bool OwnActorSystem { get; set; } = true;

    /// <summary>
    /// Adds the embedder's own stages, after the ones named in configuration (<c>akkaproxy.pipeline.stages</c>):
    /// a class, a lambda or an Akka.Streams <c>Flow</c> (<see cref="ProxyStreamBuilder.UseFlow"/>).
    /// </summary>
    public Action<ProxyStreamBuilder>? Pipeline { get; set; }
}
