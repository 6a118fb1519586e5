using Akka.Hosting;
using AkkaProxy.Hosting.Configuration;

namespace AkkaProxy.Hosting;

/// <summary>Adds the relay to an ASP.NET Core (or generic) host: <c>builder.AddAkkaProxy()</c>, then <c>app.MapAkkaProxy()</c>.</summary>
public static class AkkaProxyHostBuilderExtensions
{
    /// <summary>
    /// Adds the whole relay to the host, from the <c>akkaproxy</c> section of its configuration: the
    /// relay's services (routing, pricing, keys, billing and its sinks, the ledger, metrics, the drain on
    /// shutdown), its actors in the service's actor system, and the checks that run at start-up.
    /// <list type="bullet">
    /// <item>The actor system: when the service has called Akka.Hosting's <c>AddAkka</c> before this, the
    /// relay joins that system (its akka settings a fallback beneath the service's, the service's loggers
    /// untouched); otherwise the relay builds one (<c>akka://akkaproxy</c>). An <c>AddAkka</c> after this
    /// call would start a second system beside the relay's: start-up fails, saying so.</item>
    /// <item>Configuration: the relay's defaults (its embedded reference.conf) go beneath every layer of
    /// the service's configuration, so appsettings, environment and command line win over them. They
    /// hold no provider, model map or price: the relay has the providers the service configures.</item>
    /// <item>Connections: on Kestrel each client connection gets one graph, reused by its requests,
    /// without any connection middleware to add.</item>
    /// <item>Start-up: the configuration is validated (every problem at once, each with its path), a relay
    /// without keys may listen on loopback only, and the ledger's file lock is taken before the server
    /// listens; a problem stops the host with a <see cref="RelayConfigurationException"/>.</item>
    /// </list>
    /// </summary>
    /// <param name="builder">The service's host builder (<c>WebApplication.CreateBuilder(args)</c>).</param>
    /// <param name="configure">The service's own stages and billing subscribers.</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="InvalidOperationException">The relay was added to this host already.</exception>
    public static IHostApplicationBuilder AddAkkaProxy(this IHostApplicationBuilder builder, Action<AkkaProxyOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        IServiceCollection services = builder.Services;
        if (services.Any(descriptor => descriptor.ServiceType == typeof(RelayRegistration)))
        {
            throw new InvalidOperationException("AddAkkaProxy was called twice on this host; one relay per host.");
        }

        var options = new AkkaProxyOptions();
        configure?.Invoke(options);
        HoconConfigurationExtensions.InsertRelayDefaults(builder.Configuration);
        IConfiguration config = builder.Configuration;

        int first = services.Count;
        services.AddHostedService<RelayStartupCheck>();
        RelayServices.AddRelayServices(services, config, options);
        ServiceDescriptor? existing = services.LastOrDefault(descriptor => descriptor.ServiceType == typeof(AkkaConfigurationBuilder));
        ServiceDescriptor joined;
        if (existing is { ImplementationFactory: { } serviceFactory })
        {
            // The service's system: its builder, then the relay's part of it.
            joined = ServiceDescriptor.Singleton(typeof(AkkaConfigurationBuilder), sp =>
                RelayServices.JoinRelay((AkkaConfigurationBuilder)serviceFactory(sp), sp, config, options, ownsSystem: false));
            services[services.IndexOf(existing)] = joined;
            StartBeforeActorSystem(services, first);
        }
        else
        {
            services.AddAkka(RelayServices.ActorSystemName, (akka, sp) => RelayServices.JoinRelay(akka, sp, config, options, ownsSystem: true));
            joined = services.Last(descriptor => descriptor.ServiceType == typeof(AkkaConfigurationBuilder));
        }

        services.AddSingleton(new RelayRegistration(services, joined, OwnsActorSystem: existing is null));
        return builder;
    }

    /// <summary>
    /// Moves the relay's hosted services (registered from <paramref name="first"/> on) before the actor
    /// system's, as when the relay builds the system: they start before it and stop after it, so the
    /// ledger writer takes the records the billing drain delivers as the system stops.
    /// </summary>
    private static void StartBeforeActorSystem(IServiceCollection services, int first)
    {
        int akka = -1;
        for (int i = 0; i < first; i++)
        {
            if (services[i].ServiceType == typeof(IHostedService) && typeof(AkkaHostedService).IsAssignableFrom(services[i].ImplementationType))
            {
                akka = i;
                break;
            }
        }

        if (akka < 0)
        {
            return;
        }

        List<ServiceDescriptor> relays = [.. services.Skip(first).Where(descriptor => descriptor.ServiceType == typeof(IHostedService))];
        foreach (ServiceDescriptor relay in relays)
        {
            services.Remove(relay);
        }

        for (int i = 0; i < relays.Count; i++)
        {
            services.Insert(akka + i, relays[i]);
        }
    }
}

/// <summary>How the relay was added: the host's service list and the actor system's registration, for the start-up check.</summary>
internal sealed record RelayRegistration(IServiceCollection Services, ServiceDescriptor ActorSystemBuilder, bool OwnsActorSystem)
{
    /// <summary>Whether the actor system the host builds is still the one the relay joined (no <c>AddAkka</c> came after <c>AddAkkaProxy</c>).</summary>
    public bool JoinedSystemIsTheHosts =>
        ReferenceEquals(Services.LastOrDefault(descriptor => descriptor.ServiceType == typeof(AkkaConfigurationBuilder)), ActorSystemBuilder);
}
