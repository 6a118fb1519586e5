using Akka.Actor;
using Akka.Streams;
using AkkaProxy.Host.Auth;
using AkkaProxy.Host.Billing;
using AkkaProxy.Host.Configuration;
using AkkaProxy.Pipeline;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Transport;

namespace AkkaProxy.Host;

/// <summary>Registers the relay's services from the <c>akkaproxy</c> configuration.</summary>
public static class RelayServices
{
    /// <summary>Adds the relay. Custom stage factories registered as <see cref="IProxyStageFactory"/> can be named in <c>akkaproxy.pipeline.stages</c>.</summary>
    public static IServiceCollection AddAkkaProxyRelay(this IServiceCollection services, IConfiguration config)
    {
        services.AddSingleton(TimeProvider.System);
        // The actor system the connection graphs run in (stopped with the host; see RelayActorSystem).
        services.AddSingleton(_ => ActorSystem.Create("akkaproxy"));
        services.AddHostedService<RelayActorSystem>();
        services.AddSingleton(sp =>
        {
            var builder = new ProxyStreamBuilder();
            RelayConfiguration.BindPipeline(config, builder.Options);
            foreach (IProxyStageFactory factory in sp.GetServices<IProxyStageFactory>())
            {
                builder.AddStageFactory(factory);
            }

            builder.UseConfiguredStages(config.GetSection($"{RelayConfiguration.Root}:pipeline:stages"));
            return builder.Build();
        });
        services.AddSingleton(_ => new ModelRouter(RelayConfiguration.ReadRouting(config)));
        services.AddSingleton(_ => RelayConfiguration.ReadPricing(config));
        services.AddSingleton(_ => RelayConfiguration.ReadAuth(config));
        services.AddSingleton(sp => new RelayKeyValidator(sp.GetRequiredService<RelayAuthOptions>()));
        services.AddSingleton(_ => RelayConfiguration.ReadBilling(config));
        services.AddSingleton(sp => new RecentRecordsSink(sp.GetRequiredService<BillingOptions>().RecentRecords));
        services.AddSingleton<IBillingSink>(sp => sp.GetRequiredService<RecentRecordsSink>());
        services.AddSingleton<IBillingSink, LogBillingSink>();
        services.AddSingleton(sp => new BillingDispatcher(
            sp.GetServices<IBillingSink>(),
            sp.GetRequiredService<ILogger<BillingDispatcher>>(),
            sp.GetRequiredService<BillingOptions>().QueueCapacity));
        services.AddHostedService<BillingHostedService>();
        services.AddSingleton(sp => UpstreamClientFactory.Create(sp.GetRequiredService<ProxyStreamFactory>().Options));
        services.AddSingleton(sp => new HttpRelay(
            sp.GetRequiredService<ProxyStreamFactory>(),
            sp.GetRequiredService<ModelRouter>(),
            sp.GetRequiredService<HttpMessageInvoker>(),
            sp.GetRequiredService<BillingDispatcher>(),
            sp.GetRequiredService<PricingTable>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<HttpRelay>>(),
            sp.GetRequiredService<ActorSystem>(),
            sp.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping));
        services.AddSingleton(_ => RelayConfiguration.ReadWebSocket(config));
        services.AddSingleton<IUpstreamWebSocketDialer>(sp => new ClientWebSocketDialer(sp.GetRequiredService<WebSocketRelayOptions>()));
        services.AddSingleton(sp => new WebSocketRelay(
            sp.GetRequiredService<ProxyStreamFactory>(),
            sp.GetRequiredService<ModelRouter>(),
            sp.GetRequiredService<IUpstreamWebSocketDialer>(),
            sp.GetRequiredService<BillingDispatcher>(),
            sp.GetRequiredService<PricingTable>(),
            sp.GetRequiredService<WebSocketRelayOptions>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<WebSocketRelay>>(),
            sp.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping));
        return services;
    }
}
