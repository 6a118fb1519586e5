using Akka.Hosting;
using AkkaProxy.Pipeline.Billing;

namespace AkkaProxy.Pipeline.Hosting;

/// <summary>Adds the relay's actors to an actor system built with Akka.Hosting (<c>services.AddAkka(...)</c>).</summary>
public static class AkkaProxyHostingExtensions
{
    /// <summary>
    /// Starts the relay's actors with the actor system: the <see cref="BillingActor"/>, fed by
    /// <paramref name="billing"/> and drained by the system's <c>CoordinatedShutdown</c>, registered in the
    /// <see cref="ActorRegistry"/> so it resolves as <c>IRequiredActor&lt;BillingActor&gt;</c>.
    /// The relay's host calls it on its own builder; an Akka-based service calls it on its builder.
    /// </summary>
    /// <param name="builder">The Akka.Hosting builder of <c>AddAkka</c>.</param>
    /// <param name="billing">The gateway the relay hands its records to (the one the relay was given).</param>
    /// <returns>The same builder.</returns>
    public static AkkaConfigurationBuilder WithAkkaProxy(this AkkaConfigurationBuilder builder, BillingGateway billing)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(billing);
        return builder.WithActors((system, registry) => registry.Register<BillingActor>(billing.Start(system)));
    }
}
