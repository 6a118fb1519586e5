using AkkaProxy.Hosting.Observability;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using AkkaProxy.Hosting.Health;
using AkkaProxy.Hosting.Lifecycle;
using AkkaProxy.Hosting.Ledger;
using Akka.Actor;
using Akka.Hosting;
using AkkaProxy.Hosting.Auth;
using AkkaProxy.Hosting.Billing;
using AkkaProxy.Hosting.Configuration;
using AkkaProxy.Pipeline;
using AkkaProxy.Pipeline.Billing;
using AkkaProxy.Pipeline.Diagnostics;
using AkkaProxy.Pipeline.Hosting;
using AkkaProxy.Pipeline.Pooling;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Stages;
using AkkaProxy.Pipeline.Supervision;
using AkkaProxy.Pipeline.Transport;

namespace AkkaProxy.Hosting;

/// <summary>Registers the relay's services from the <c>akkaproxy</c> configuration.</summary>
public static class RelayServices
{
    /// <summary>The name of the actor system the host builds (<c>akka://akkaproxy</c>).</summary>
    public const string ActorSystemName = "akkaproxy";

    /// <summary>
    /// Every service of the relay but the actor system (<see cref="AkkaProxyHostBuilderExtensions.AddAkkaProxy"/>
    /// joins that). Custom stage factories registered as <see cref="IProxyStageFactory"/> can be named in
    /// <c>akkaproxy.pipeline.stages</c>; <paramref name="options"/> adds the embedder's stages and subscribers.
    /// </summary>
    internal static void AddRelayServices(IServiceCollection services, IConfiguration config, AkkaProxyOptions options)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => BuildPipeline(sp, config, options.Pipeline));
        services.AddSingleton(_ => new ModelRouter(RelayConfiguration.ReadRouting(config)));
        services.AddSingleton(_ => RelayConfiguration.ReadPricing(config));
        services.AddSingleton(_ => RelayConfiguration.ReadAuth(config));
        services.AddSingleton(sp => new RelayKeyValidator(sp.GetRequiredService<RelayAuthOptions>()));
        services.AddSingleton(sp => new KeyPolicy(sp.GetRequiredService<RelayAuthOptions>(), sp.GetRequiredService<PricingTable>(), sp.GetRequiredService<TimeProvider>(), sp.GetService<ISharedKeyLimits>()));
        if (options.ClusterServices is { } clusterServices && RelayConfiguration.ReadCluster(config).Enabled)
        {
            clusterServices(services); // the keys' counts shared by the nodes
        }

        services.AddSingleton(_ => RelayConfiguration.ReadBilling(config));
        services.AddSingleton(sp => new RecentRecordsSink(sp.GetRequiredService<BillingOptions>().RecentRecords));
        services.AddSingleton<IBillingSink>(sp => sp.GetRequiredService<RecentRecordsSink>());
        services.AddSingleton<IBillingSink, LogBillingSink>();
        services.AddSingleton(sp => new LiveRecordsSink(sp.GetRequiredService<BillingOptions>().LiveBuffer));
        services.AddSingleton<IBillingSink>(sp => sp.GetRequiredService<LiveRecordsSink>());
        services.AddMetrics();
        services.AddSingleton(sp => new RelayMetrics(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), sp));
        services.AddSingleton<IBillingSink>(sp => sp.GetRequiredService<RelayMetrics>());
        AddExporters(services, config);
        services.AddSingleton(sp => new BillingGateway(
            sp.GetServices<IBillingSink>(),
            sp.GetRequiredService<ILogger<BillingGateway>>(),
            sp.GetRequiredService<BillingOptions>().QueueCapacity));
        services.AddHealthChecks().AddCheck<RelayReadyCheck>("relay");
        AddDrain(services, config);
        AddLedger(services, config, options.LedgerStores);
        // After the ledger writer's start (hosted services start in order), which opens the ledger.
        services.AddHostedService<KeySpendRestorer>();
        services.AddHealthChecks().AddCheck<KeyBudgetsReadyCheck>("key-budgets");
        foreach (RecordSubscription subscription in options.Subscribers)
        {
            services.AddSingleton<IBillingSink>(sp => new SubscriberBillingSink(
                subscription.Name,
                ct => subscription.Resolve(sp, ct),
                subscription.AckTimeout,
                sp.GetRequiredService<ILogger<SubscriberBillingSink>>()));
        }

        services.AddSingleton(sp => UpstreamClientFactory.Create(sp.GetRequiredService<ProxyStreamFactory>().Options));
        services.AddSingleton(sp => new HttpRelay(
            sp.GetRequiredService<ProxyStreamFactory>(),
            sp.GetRequiredService<ModelRouter>(),
            sp.GetRequiredService<HttpMessageInvoker>(),
            sp.GetRequiredService<BillingGateway>(),
            sp.GetRequiredService<PricingTable>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<HttpRelay>>(),
            sp.GetRequiredService<ActorSystem>(),
            sp.GetRequiredService<RelayDrain>().Deadline)
        {
            SocketPools = sp.GetRequiredService<UpstreamSocketPools>(),
        });
        services.AddSingleton(_ => RelayConfiguration.ReadUpstreamSockets(config));
        services.AddSingleton(sp => new UpstreamSocketPools(
            sp.GetRequiredService<ActorSystem>(),
            sp.GetRequiredService<IUpstreamWebSocketDialer>(),
            sp.GetRequiredService<UpstreamSocketPoolOptions>(),
            sp.GetRequiredService<WebSocketRelayOptions>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<UpstreamSocketPools>>())
        {
            Directory = sp.GetService<ISocketAffinityDirectory>(), // the cluster's, across nodes
        });
        services.AddSingleton(_ => RelayConfiguration.ReadWebSocket(config));
        services.AddSingleton<IUpstreamWebSocketDialer>(sp => new Http1WebSocketDialer(sp.GetRequiredService<WebSocketRelayOptions>()));
        services.AddSingleton(sp => new WebSocketRelay(
            sp.GetRequiredService<ProxyStreamFactory>(),
            sp.GetRequiredService<ModelRouter>(),
            sp.GetRequiredService<IUpstreamWebSocketDialer>(),
            sp.GetRequiredService<BillingGateway>(),
            sp.GetRequiredService<PricingTable>(),
            sp.GetRequiredService<WebSocketRelayOptions>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<WebSocketRelay>>(),
            sp.GetRequiredService<ActorSystem>(),
            sp.GetRequiredService<RelayDrain>().Deadline));
    }

    /// <summary>
    /// The pipeline: options and the stages named in configuration (from the registered
    /// <see cref="IProxyStageFactory"/> services), then <paramref name="embedder"/>'s own.
    /// </summary>
    internal static ProxyStreamFactory BuildPipeline(IServiceProvider sp, IConfiguration config, Action<ProxyStreamBuilder>? embedder)
    {
        var builder = new ProxyStreamBuilder();
        RelayConfiguration.BindPipeline(config, builder.Options);
        foreach (IProxyStageFactory factory in sp.GetServices<IProxyStageFactory>())
        {
            builder.AddStageFactory(factory);
        }

        builder.UseConfiguredStages(config.GetSection($"{RelayConfiguration.Root}:pipeline:stages"));
        if (sp.GetService<KeyPolicy>() is { HasLimits: true } policy)
        {
            builder.UseAdmission(policy); // keys without limits cost the data path nothing
        }

        embedder?.Invoke(builder);
        return builder.Build();
    }

    /// <summary>
    /// With <c>akkaproxy.cluster.enabled</c>, the cluster package's setup; and, should the cluster end this
    /// node's actor system (downed by the split-brain resolver, or removed), the host stops too, draining
    /// as on SIGTERM, instead of serving HTTP without its actors.
    /// </summary>
    private static void JoinCluster(AkkaConfigurationBuilder akka, IServiceProvider sp, IConfiguration config, AkkaProxyOptions options)
    {
        AkkaProxy.Hosting.Cluster.RelayClusterOptions cluster = RelayConfiguration.ReadCluster(config);
        if (!cluster.Enabled)
        {
            return;
        }

        (options.ClusterSetup ?? throw new RelayConfigurationException([
            "akkaproxy.cluster.enabled = true, but the relay has no cluster support: reference the AkkaProxy.Cluster package and call relay.UseCluster() in AddAkkaProxy."]))(akka, cluster);
        akka.AddStartup((system, _) => CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "akkaproxy-stop-host", () =>
        {
            IHostApplicationLifetime lifetime = sp.GetRequiredService<IHostApplicationLifetime>();
            if (!lifetime.ApplicationStopping.IsCancellationRequested)
            {
                sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RelayServices).FullName!)
                    .LogWarning("The actor system is shutting down ({Reason}): the host stops with it.", CoordinatedShutdown.Get(system).ShutdownReason);
                Environment.ExitCode = 1; // not a normal stop: a supervisor restarts the node
                lifetime.StopApplication(); // the drain: new requests get 503, open ones finish
            }

            return Task.FromResult(Akka.Done.Instance);
        }));
    }

    /// <summary>
    /// The relay's part of an actor system built with Akka.Hosting: the <c>akka</c> section of the
    /// configuration, the relay's actors (<see cref="AkkaProxyHostingExtensions.WithAkkaProxy"/>), and a
    /// <c>CoordinatedShutdown</c> task that waits for the relay's open requests and sessions. In a system
    /// the relay built (<paramref name="ownsSystem"/>) its akka settings come first and Akka's log events go
    /// to .NET logging; in a service's own system they are a fallback beneath the service's settings,
    /// and its loggers stay as the service made them.
    /// </summary>
    internal static AkkaConfigurationBuilder JoinRelay(AkkaConfigurationBuilder akka, IServiceProvider sp, IConfiguration config, AkkaProxyOptions options, bool ownsSystem)
    {
        // The akka section of the configuration (files, environment, command line) is Akka's,
        // converted by AkkaSection: Akka.Hosting's converter lower-cases keys and splits quoted ones at dots.
        if (ownsSystem)
        {
            // First: the akka section added below stays on top of what the cluster settings write.
            JoinCluster(akka, sp, config, options);
        }

        Akka.Configuration.Config akkaSection = AkkaSection.ToConfig(config);
        if (!akkaSection.IsEmpty)
        {
            akka.AddHocon(akkaSection, ownsSystem ? HoconAddMode.Prepend : HoconAddMode.Append);
        }

        if (ownsSystem)
        {
            // Akka's own log events go to .NET logging, with the relay's other logs.
            akka.ConfigureLoggers(loggers =>
            {
                loggers.ClearLoggers();
                loggers.AddLoggerFactory();
            });
        }

        akka.WithAkkaProxy(sp.GetRequiredService<BillingGateway>());
        // However the hosted services are ordered, the exchanges still open when the actor system stops
        // end on ApplicationStopping; this phase waits for them, so none loses its graph or its
        // supervisor while it ends.
        akka.AddStartup((system, _) => CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceRequestsDone, "akkaproxy-open-exchanges", async () =>
        {
            HttpRelay http = sp.GetRequiredService<HttpRelay>();
            WebSocketRelay sockets = sp.GetRequiredService<WebSocketRelay>();
            while (http.OpenExchanges > 0 || sockets.ActiveSessions > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20)).ConfigureAwait(false);
            }

            // Then the pooled upstream sockets, while the pools' actors still run: a 1001 close handshake
            // each, not an abort when the actor system stops.
            try
            {
                await sp.GetRequiredService<UpstreamSocketPools>().CloseAllAsync().ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The system stops anyway; what did not close in time is aborted.
            }

            return Akka.Done.Instance;
        }));
        return akka;
    }

    /// <summary>
    /// The durable usage ledger as a billing sink, in the store <c>akkaproxy.ledger.store</c> names among
    /// those the service added (<paramref name="stores"/>). Its hosted service is registered before the
    /// actor system's, so it stops after it and takes the records the billing drain delivers on shutdown.
    /// </summary>
    private static void AddLedger(IServiceCollection services, IConfiguration config, IReadOnlyList<LedgerStoreRegistration> stores)
    {
        LedgerOptions ledger = RelayConfiguration.ReadLedger(config);
        services.AddSingleton(ledger);
        if (!ledger.Enabled)
        {
            return;
        }

        services.AddSingleton<ILedgerStore>(sp => CreateLedgerStore(ledger, stores, sp));
        services.AddSingleton(sp => new LedgerWriter(
            sp.GetRequiredService<ILedgerStore>(),
            ledger,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<LedgerWriter>>()));
        services.AddSingleton<IBillingSink>(sp => sp.GetRequiredService<LedgerWriter>());
        services.AddHostedService(sp => sp.GetRequiredService<LedgerWriter>());
        services.AddHealthChecks().AddCheck<LedgerWritableCheck>("ledger");
    }

    /// <summary>
    /// The store <c>akkaproxy.ledger.store</c> names, made by the package that added it, after that
    /// package's checks of the settings. Made at start-up (the host resolves its hosted services first),
    /// so a store that was not added or a setting it refuses stops the host before it listens.
    /// </summary>
    /// <exception cref="RelayConfigurationException">The store was not added, or refuses the settings.</exception>
    private static ILedgerStore CreateLedgerStore(LedgerOptions ledger, IReadOnlyList<LedgerStoreRegistration> stores, IServiceProvider sp)
    {
        string name = ledger.Store.ToString().ToLowerInvariant();
        LedgerStoreRegistration store = stores.FirstOrDefault(s => s.Kind == ledger.Store)
            ?? throw new RelayConfigurationException([
                $"akkaproxy.ledger.store = {name}, but the relay has no {name} store: add {LedgerStoreRegistration.SetupOf(ledger.Store)}, "
                + "or set akkaproxy.ledger.enabled = false to keep no ledger (records then reach the log, the admin page and subscribers only)."]);
        if (store.Validate(ledger).ToList() is { Count: > 0 } problems)
        {
            throw new RelayConfigurationException(problems);
        }

        return store.Create(ledger, sp);
    }

    /// <summary>
    /// The graceful drain on SIGTERM (<see cref="RelayDrain"/>), and a host shutdown timeout long enough
    /// for it: the drain's time, then the sockets' closing handshakes and the ledger's last batches.
    /// </summary>
    private static void AddDrain(IServiceCollection services, IConfiguration config)
    {
        ShutdownOptions shutdown = RelayConfiguration.ReadShutdown(config);
        services.AddSingleton(shutdown);
        services.AddSingleton<RelayDrain>();
        services.AddHostedService(sp => sp.GetRequiredService<RelayDrain>());
        services.Configure<HostOptions>(host =>
        {
            TimeSpan needed = shutdown.DrainTimeout + TimeSpan.FromSeconds(15);
            if (host.ShutdownTimeout < needed)
            {
                host.ShutdownTimeout = needed;
            }
        });
    }

    /// <summary>
    /// The opt-in exporters: metrics to a Prometheus scrape endpoint and over OTLP; over OTLP too, the
    /// relay's trace spans (<see cref="RelayTracing.SourceName"/>) and ASP.NET Core's request spans,
    /// their parents (health and scrape requests are left out).
    /// </summary>
    private static void AddExporters(IServiceCollection services, IConfiguration config)
    {
        ObservabilityOptions observability = RelayConfiguration.ReadObservability(config);
        services.AddSingleton(observability);
        if (!observability.Prometheus && observability.OtlpEndpoint.Length == 0)
        {
            return;
        }

        OpenTelemetryBuilder telemetry = services.AddOpenTelemetry().ConfigureResource(ConfigureResource).WithMetrics(metrics =>
        {
            metrics.AddMeter(RelayMetrics.MeterName);
            if (observability.Prometheus)
            {
                metrics.AddPrometheusExporter();
            }

            if (observability.OtlpEndpoint.Length > 0)
            {
                metrics.AddOtlpExporter(otlp => otlp.Endpoint = new Uri(observability.OtlpEndpoint));
            }
        });
        if (observability.OtlpEndpoint.Length > 0)
        {
            telemetry.WithTracing(tracing => tracing
                .AddSource(RelayTracing.SourceName)
                .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = context => !IsOperational(context.Request.Path, observability))
                .AddOtlpExporter(otlp => otlp.Endpoint = new Uri(observability.OtlpEndpoint)));
        }
    }

    /// <summary>The service the telemetry names: <c>akkaproxy</c> at this build's version, unless <c>OTEL_SERVICE_NAME</c> (or <c>service.name</c> in <c>OTEL_RESOURCE_ATTRIBUTES</c>) names it otherwise.</summary>
    internal static void ConfigureResource(ResourceBuilder resource)
    {
        bool named = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME"))
            || (Environment.GetEnvironmentVariable("OTEL_RESOURCE_ATTRIBUTES") ?? "").Contains("service.name=", StringComparison.Ordinal);
        if (!named)
        {
            resource.AddService(ServiceName, serviceVersion: typeof(RelayServices).Assembly.GetName().Version?.ToString(3));
        }
    }

    /// <summary>The <c>service.name</c> of the relay's telemetry when the environment names none.</summary>
    public const string ServiceName = "akkaproxy";

    /// <summary>Health probes and the scrape endpoint: requests of the operator's tools, not of clients.</summary>
    private static bool IsOperational(PathString path, ObservabilityOptions observability) =>
        path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz")
        || (observability.Prometheus && path.StartsWithSegments(observability.PrometheusPath));
}
