using AkkaProxy.Hosting.Auth;
using AkkaProxy.Hosting.Configuration;
using AkkaProxy.Hosting.Ledger;
using AkkaProxy.Pipeline;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Supervision;

namespace AkkaProxy.Hosting;

/// <summary>
/// The relay's checks before anything of the host starts (hosted services' <c>StartingAsync</c> runs
/// before any of them starts, the server included), in the host and in a service that embeds it alike:
/// the configuration, the actor system it joined, everything built from configuration, and the
/// ledger's lock; then the version, the configuration layers and what an operator should know.
/// </summary>
internal sealed class RelayStartupCheck(IServiceProvider services, IConfiguration config, RelayRegistration registration, ILoggerFactory loggers) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        if (!registration.JoinedSystemIsTheHosts)
        {
            throw new RelayConfigurationException([
                "AddAkka was called after AddAkkaProxy: the host would start its own actor system beside the one the relay joined. "
                + "Call AddAkkaProxy after the service's AddAkka, so the relay joins that system."]);
        }

        StartupValidation.ThrowIfInvalid(config); // every error at once, each with its path
        ReportStart(services.GetRequiredService<ModelRouter>(), services.GetRequiredService<RelayKeyValidator>());
        // Resolve everything built from configuration now, so a bad setting fails at start-up with its key.
        services.GetRequiredService<ProxyStreamFactory>();
        services.GetRequiredService<WebSocketRelay>();
        // A SQLite ledger takes its file's lock as it is made: a second relay on the same file stops here, before it listens.
        services.GetService<ILedgerStore>();
        return Task.CompletedTask;
    }

    private void ReportStart(ModelRouter router, RelayKeyValidator keys)
    {
        ILogger logger = loggers.CreateLogger("AkkaProxy");
        string layers = config is IConfigurationRoot root ? string.Join(", ", ConfigurationSources.Describe(root.Providers)) : "the host's configuration";
        logger.LogInformation("{Version}; configuration from {Sources}.", RelayVersion.Line, layers);
        if (keys.IsOpen)
        {
            logger.LogWarning("No relay keys are configured (akkaproxy.auth.keys): the relay accepts every client. Keep it on loopback or configure keys.");
        }

        if (router.Providers.Count == 0)
        {
            logger.LogWarning("No providers are configured (akkaproxy.routing.providers): every model request is refused.");
        }

        foreach (Provider provider in router.Providers.Where(p => p.IsMissingKey))
        {
            logger.LogWarning("Provider {Provider} has no API key: set {Variable}. Requests routed to it get an error.", provider.Name, provider.MissingKeyHint);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
