using AkkaProxy.Host.Auth;
using AkkaProxy.Host.Configuration;
using AkkaProxy.Host.Endpoints;
using AkkaProxy.Pipeline;
using AkkaProxy.Pipeline.Routing;
using AkkaProxy.Pipeline.Supervision;

namespace AkkaProxy.Host;

/// <summary>Builds the relay service: configuration layers, services, endpoints.</summary>
public static class RelayApp
{
    /// <summary>The address used when none is configured.</summary>
    public const string DefaultUrl = "http://127.0.0.1:8080";

    /// <summary>What <c>--version</c> prints: the product and its version (with the commit, where the build knew it).</summary>
    public static string VersionLine { get; } = "AkkaProxy " + (typeof(RelayApp).Assembly
        .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
        .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "unknown");

    /// <summary>
    /// Creates the app. Configuration, later layers winning: the embedded reference.conf,
    /// <c>hocon/akkaproxy.conf</c> (or the file named by <c>AKKAPROXY_CONFIG</c>), environment
    /// variables (<c>AKKAPROXY__PIPELINE__IDLETIMEOUT</c>), the command line, then <paramref name="configure"/>.
    /// </summary>
    /// <exception cref="RelayConfigurationException">The configuration cannot be read or used: every problem, each with its path.</exception>
    public static WebApplication Create(string[] args, Action<IConfigurationBuilder>? configure = null, Action<IServiceCollection>? services = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
        string file = Environment.GetEnvironmentVariable("AKKAPROXY_CONFIG") ?? Path.Combine("hocon", "akkaproxy.conf");
        try
        {
            builder.Configuration.AddEmbeddedReferenceHocon();
            builder.Configuration.AddHoconFile(file, optional: Environment.GetEnvironmentVariable("AKKAPROXY_CONFIG") is null);
            builder.Configuration.AddEnvironmentVariables();
            builder.Configuration.AddCommandLine(args);
            configure?.Invoke(builder.Configuration);
        }
        catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
        {
            throw new RelayConfigurationException([ex.Message]); // a syntax error (with its file, line and column), or a file that cannot be read
        }

        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Each client connection gets one graph, materialized at its first relayed request and
            // reused by the requests after it; it stops when the connection closes.
            kestrel.ConfigureEndpointDefaults(listen => listen.UseAkkaProxyConnections());
        });
        StartupValidation.ThrowIfInvalid(builder.Configuration); // every error at once, each with its path
        builder.Services.AddAkkaProxyRelay(builder.Configuration);
        services?.Invoke(builder.Services);

        WebApplication app = builder.Build();
        ValidateAtStartup(app);
        app.UseWebSockets();
        app.MapAkkaProxy();
        app.MapAdminEndpoints();
        app.MapAdminDashboardEndpoints();
        app.MapAdminLiveEndpoint();
        app.MapAdminPage();
        if (app.Services.GetRequiredService<AkkaProxy.Host.Observability.ObservabilityOptions>() is { Prometheus: true } observability)
        {
            app.MapPrometheusScrapingEndpoint(observability.PrometheusPath);
        }
        return app;
    }

    private static void ValidateAtStartup(WebApplication app)
    {
        // Resolve everything built from configuration now, so a bad setting fails at start-up with its key.
        app.Services.GetRequiredService<ProxyStreamFactory>();
        app.Services.GetRequiredService<AkkaProxy.Pipeline.Supervision.WebSocketRelay>();
        // A SQLite ledger takes its file's lock as it is made: a second relay on the same file stops here, before it listens.
        app.Services.GetService<AkkaProxy.Host.Ledger.ILedgerStore>();
        var router = app.Services.GetRequiredService<ModelRouter>();
        var keys = app.Services.GetRequiredService<RelayKeyValidator>();
        ILogger logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("AkkaProxy");
        logger.LogInformation("{Version}; configuration from {Sources}.", VersionLine, string.Join(", ", ConfigurationSources.Describe(((IConfigurationRoot)app.Configuration).Providers)));
        if (keys.IsOpen)
        {
            logger.LogWarning("No relay keys are configured (akkaproxy.auth.keys): the relay accepts every client. Keep it on loopback or configure keys.");
        }

        foreach (Provider provider in router.Providers.Where(p => p.IsMissingKey))
        {
            logger.LogWarning("Provider {Provider} has no API key: set {Variable}. Requests routed to it get an error.", provider.Name, provider.ApiKeyEnv);
        }
    }
}
